import Foundation
import NurtureTestSupport
import Testing

/// Issue 14.3 with the built binary: where leads came from, first touch, from a CSV,
/// `leads add`, and the capture form, reported by source.
@Suite struct SourceCommandTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-sources")
        try Repository.copyExample(into: project)
        try project.write("nurture.yml", "subscribe:\n  tags: [newsletter]\nstages:\n  - { id: engaged, when: { has_tag: newsletter } }\n")
    }

    func nurture(_ arguments: String...) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url)
    }

    @Test func theFormsCapturesAreReportedUnderTheirSource() async throws {
        let server = try await ServeProcess(in: project.url)
        defer { server.stop() }
        let url = "\(server.baseURL)/subscribe"
        // From hidden form fields, and from the query string of the page that posted the form.
        #expect(try Curl.fetch(["-d", "email=ann@example.com&utm_source=ads&utm_medium=cpc&utm_campaign=spring&tags=newsletter", url]).status == 200)
        #expect(try Curl.fetch(["-H", "Referer: https://acme.example/join?utm_source=ads&utm_medium=cpc&utm_campaign=spring", "-d", "email=bo@example.com", url]).status == 200)
        #expect(try Curl.fetch(["-H", "Referer: https://acme.example/join?ref=x", "-d", "email=cy@example.com&utm_source=newsletter", url]).status == 200)
        // A later capture of a known lead keeps its first touch.
        #expect(try Curl.fetch(["-d", "email=ann@example.com&utm_source=partner", url]).status == 200)
        server.stop()

        // The CSV and leads add: a lead with a source keeps it; one without gets one.
        try project.write("more.csv", "email,utm_source,utm_medium\nann@example.com,csv,file\ndee@example.com,webinar,event\n")
        #expect(try nurture("leads", "import", "more.csv").status == 0)
        #expect(try nurture("leads", "add", "eve@example.com", "--source", "referral").status == 0)
        #expect(try nurture("leads", "add", "eve@example.com", "--source", "ads").status == 0)
        #expect(try nurture("leads", "show", "ann@example.com").stdout.contains("source:     ads / cpc / spring"))
        #expect(try nurture("leads", "show", "eve@example.com").stdout.contains("source:     referral / - / -"))
        #expect(try nurture("run", "--once").status == 0, "checks stages: ann joined the newsletter")

        let report = try nurture("report", "--by", "source")
        #expect(report.status == 0, "\(report.stderr)")
        let lines = report.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ", omittingEmptySubsequences: true) == ["source", "medium", "campaign", "leads", "engaged"])
        #expect(lines.dropFirst().first?.split(separator: " ") == ["ads", "cpc", "spring", "2", "1"], "\(report.stdout)")
        let json = try JSONSerialization.jsonObject(with: Data(try nurture("report", "--by", "source", "--format", "json").stdout.utf8)) as? [[String: Any]]
        let bySource = Dictionary(uniqueKeysWithValues: (json ?? []).map { ($0["source"] as? String ?? "(none)", $0["leads"] as? Int ?? -1) })
        #expect(bySource == ["ads": 2, "newsletter": 1, "webinar": 1, "referral": 1])
    }
}
