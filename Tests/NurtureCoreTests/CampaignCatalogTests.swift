import Foundation
import NurtureCore
import NurtureTestSupport
import Testing

@Suite struct CampaignCatalogTests {
    func load(_ directory: TemporaryDirectory) -> CampaignCatalog { directory.loadCatalog() }

    @Test func theShippedExampleIsValid() throws {
        let directory = try TemporaryDirectory()
        try Repository.copyExample(into: directory)
        let catalog = load(directory)
        #expect(catalog.diagnostics.all.isEmpty, "\(catalog.diagnostics.all)")
        let campaign = try #require(catalog.campaigns.first)
        #expect(campaign.steps.count >= 4)
        #expect(campaign.sendWindow != nil)
        #expect(!campaign.exitOn.isEmpty)
        #expect(campaign.steps.contains { $0.condition != nil })
        #expect(catalog.templates.source("partials/footer", part: .html)?.contains("{{unsubscribe_url}}") == true)
    }

    /// The acceptance test of issue 3: four different mistakes, each reported with its place.
    @Test func reportsUnknownKeyDuplicateStepBadDurationAndMissingTemplate() throws {
        let directory = try TemporaryDirectory()
        try directory.write("templates/a.txt.mustache", "Hello {{first_name}}")
        try directory.write(
            "campaigns/broken.yml",
            """
            from: "Ada <ada@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - id: welcome
                subject: Hi
                template: a
                colour: blue
              - id: welcome
                wait: 3 days
                subject: Again
                template: a
              - id: later
                wait: 1d
                subject: Later
                template: nowhere/b
            """)
        let catalog = load(directory)
        #expect(catalog.campaigns.isEmpty)
        let found = catalog.diagnostics.sorted.map { "\($0.location) \($0.message)" }
        #expect(
            found == [
                "campaigns/broken.yml:7:5 unknown key 'colour' in a step",
                "campaigns/broken.yml:8:9 step id 'welcome' is used twice (first at line 4)",
                "campaigns/broken.yml:9:11 'wait' is not a duration: '3 days'",
                "campaigns/broken.yml:15:15 template 'nowhere/b' does not exist",
            ])
    }

    @Test func missingPartialsAndLayoutsWithoutBodyAreErrors() throws {
        let directory = try TemporaryDirectory()
        try directory.write("templates/a.html.mustache", "<p>x</p>\n{{> partials/footr}}")
        try directory.write("templates/partials/footer.html.mustache", "footer")
        try directory.write("templates/wrap.html.mustache", "<body>{{body}}</body>")
        try directory.write(
            "campaigns/c.yml",
            """
            from: a@acme.example
            layout: wrap
            enroll: { tags: [t] }
            steps: [{ id: one, subject: s, template: a }]
            """)
        let found = load(directory).diagnostics.sorted.map { "\($0.location) \($0.message)" }
        #expect(
            found == [
                "templates/a.html.mustache:2:1 partial 'partials/footr' does not exist as templates/partials/footr.html.mustache",
                "templates/wrap.html.mustache:1:1 the layout never places the step's body",
            ])
    }

    @Test func duplicateCampaignIDsAcrossFiles() throws {
        let directory = try TemporaryDirectory()
        try directory.write("templates/a.txt.mustache", "x")
        let body = "from: a@acme.example\nenroll: { tags: [t] }\nsteps: [{ id: one, subject: s, template: a }]\n"
        try directory.write("campaigns/one.yml", "id: same\n" + body)
        try directory.write("campaigns/two.yml", "id: same\n" + body)
        let catalog = load(directory)
        #expect(catalog.campaigns.map(\.file) == ["campaigns/one.yml"])
        #expect(catalog.diagnostics.errors.map(\.message) == ["campaign id 'same' is also used by campaigns/one.yml"])
    }
}

@Suite struct LinkSchemeValidationTests {
    @Test func javascriptAndDataLinksAreRefusedWithTheirPlace() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "templates/a.html.mustache",
            "<p>Hi</p>\n<p><a href=\"javascript:alert(1)\">x</a> <a href='https://ok.example'>ok</a>\n<a HREF = data:text/html,hi>y</a></p>"
        )
        try directory.write(
            "campaigns/c.yml",
            """
            from: "Ada <ada@acme.example>"
            enroll: { tags: [t] }
            steps:
              - { id: one, subject: Hi, template: a }
            """)
        let catalog = directory.loadCatalog()
        let errors = catalog.diagnostics.errors.map(\.description)
        #expect(errors.count == 2, "\(errors)")
        #expect(errors.first?.hasPrefix("templates/a.html.mustache:2:13:") == true, "\(errors)")
        #expect(errors.last?.hasPrefix("templates/a.html.mustache:3:11:") == true, "\(errors)")
    }
}
