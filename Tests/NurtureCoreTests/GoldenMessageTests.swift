import Foundation
import NurtureCore
import NurtureTestSupport
import Testing

/// Issue 13: making the send path fast must not change a byte on the wire. Messages of
/// the example campaign and of templates that use every Mustache feature, for leads with
/// awkward values, with link tracking on and off, compared byte for byte with files
/// recorded before the fast path existed (`Tests/Fixtures/golden/`). To record them
/// again on purpose: `NURTURE_RECORD_GOLDEN=1 swift test --filter GoldenMessageTests`.
@Suite struct GoldenMessageTests {
    static let date = try! Date.ISO8601FormatStyle().parse("2030-01-07T10:00:00Z")

    static let leads: [Lead] = [
        Lead(
            id: 1, email: try! EmailAddress("ann@example.com"), firstName: "Ann", lastName: "Lee",
            attributes: ["company": "Acme & <Sons> \"Q\" 'x'", "title": "Dr."]),
        // No name, no company; a value ending in a line break (indented partials).
        Lead(
            id: 2, email: try! EmailAddress("bob@example.com"), attributes: ["title": "CTO\n", "plan": "pro\nannual"]),
        // Combining marks: a character that starts with `&` is not escaped.
        Lead(
            id: 3, email: try! EmailAddress("zoe@example.com"), firstName: "Zoë",
            lastName: String(repeating: "Ångström-", count: 12),
            attributes: ["company": "e\u{301}&\u{301}x < y", "title": "Head of 🎉"]),
        // A carriage return, and a value that looks like the fast path's own marks.
        Lead(
            id: 4, email: try! EmailAddress("dan@example.com"), firstName: "Dan\r\nBcc: x@evil.example",
            attributes: ["company": "line1\r\nline2", "title": "\u{E000}a0&\u{E001}"]),
        Lead(
            id: 5, email: try! EmailAddress("eve@example.com"), firstName: "\n",
            attributes: ["company": "\n", "title": "&amp;"]),
    ]

    /// Templates using sections, inverted sections, comments, standalone lines, partials
    /// (indented and not), `{{.}}`, triple and ampersand tags, a layout and the text pragma.
    static func writeFeatureProject(_ directory: TemporaryDirectory) throws {
        try directory.write(
            "campaigns/features.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [t] }
            layout: layouts/frame
            steps:
              - { id: one, subject: "{{#first_name}}Hi {{first_name}}{{/first_name}}{{^first_name}}Hello{{/first_name}} \\u2014 {{company}}", template: mail }
              - { id: two, wait: 1d, subject: "Plain", template: plain }
            """)
        try directory.write(
            "templates/mail.html.mustache",
            """
            <h1>Hi {{first_name}}{{^first_name}}there{{/first_name}}!</h1>
            {{#company}}
              <p>About {{company}} ({{.}}), {{{company}}} and {{& company}}</p>
            {{/company}}
            {{! a comment on its own line }}
              {{> partials/box}}
            <p>{{missing}}|{{#missing}}never{{/missing}}|{{title}}</p>
            <a href="https://acme.example/pricing?c={{company}}">Pricing</a>

            """)
        try directory.write(
            "templates/mail.txt.mustache",
            """
            Hi {{first_name}}{{^first_name}}there{{/first_name}},
            {{#company}}
              About {{company}} & {{{company}}}
            {{/company}}
                {{> partials/box}}
            {{title}}{{plan}}
            See https://acme.example/pricing

            """)
        try directory.write(
            "templates/partials/box.html.mustache", "<div>\n{{title}}\n{{#plan}}<b>{{plan}}</b>{{/plan}}\n</div>\n")
        try directory.write("templates/partials/box.txt.mustache", "[{{title}}]\n{{#plan}}plan: {{plan}}{{/plan}}\n")
        try directory.write("templates/plain.txt.mustache", "{{email}} {{step}} {{campaign}} {{unsubscribe_url}}\n")
        try directory.write(
            "templates/layouts/frame.html.mustache",
            "<html><body>\n  {{{body}}}\n<footer>{{company}}</footer></body></html>\n")
        try directory.write(
            "templates/layouts/frame.txt.mustache", "{{{body}}}\n--\nUnsubscribe: {{unsubscribe_url}}\n")
    }

    /// Every step of every campaign for every lead, one message after another.
    static func messages(_ catalog: CampaignCatalog, tracking: Bool) -> String {
        let rewriter =
            tracking
            ? LinkRewriter(links: TrackingLinks(baseURL: "https://t.example", signer: LinkSigner(secret: "golden")))
            : nil
        let assembler = MessageAssembler(
            templates: catalog.templates, linkRewriter: rewriter, composer: MessageComposer())
        var out = ""
        for campaign in catalog.campaigns {
            for step in campaign.steps {
                for lead in leads {
                    let message = assembler.assemble(
                        campaign: campaign, step: step, lead: lead,
                        messageID: "golden.\(campaign.id).\(lead.id!).\(step.id)@acme.example",
                        messageRow: lead.id!, unsubscribeURL: "https://t.example/u/token-\(lead.id!)", date: date,
                        collectWarnings: false
                    ).message
                    out += "==== \(campaign.id)/\(step.id) to \(lead.email.address)\r\n" + message.data + "\r\n"
                }
            }
        }
        return out
    }

    func check(_ name: String, _ actual: String) throws {
        let file = Repository.root.appendingPathComponent("Tests/Fixtures/golden/\(name).eml")
        if ProcessInfo.processInfo.environment["NURTURE_RECORD_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(
                at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: file)
            return
        }
        let expected = try Data(contentsOf: file)
        let same = expected == Data(actual.utf8)
        #expect(
            same,
            "\(name): the bytes differ from \(file.path); first difference near: \(Self.firstDifference(expected, Data(actual.utf8)))"
        )
    }

    static func firstDifference(_ a: Data, _ b: Data) -> String {
        let index = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        let start = max(0, index - 60)
        return
            "byte \(index): expected …\(String(decoding: a[a.startIndex + start ..< a.startIndex + min(a.count, index + 60)], as: UTF8.self))… got …\(String(decoding: b[b.startIndex + start ..< b.startIndex + min(b.count, index + 60)], as: UTF8.self))…"
    }

    @Test(arguments: [false, true]) func theExampleCampaignsBytesAreUnchanged(tracking: Bool) throws {
        let directory = try TemporaryDirectory()
        try Repository.copyExample(into: directory)
        let catalog = directory.loadCatalog()
        #expect(!catalog.diagnostics.hasErrors)
        try check("example-\(tracking ? "tracked" : "plain")", Self.messages(catalog, tracking: tracking))
    }

    @Test(arguments: [false, true]) func everyMustacheFeaturesBytesAreUnchanged(tracking: Bool) throws {
        let directory = try TemporaryDirectory()
        try Self.writeFeatureProject(directory)
        let catalog = directory.loadCatalog()
        #expect(!catalog.diagnostics.hasErrors, "\(catalog.diagnostics.errors)")
        try check("features-\(tracking ? "tracked" : "plain")", Self.messages(catalog, tracking: tracking))
    }
}
