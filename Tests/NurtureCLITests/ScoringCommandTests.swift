import Foundation
import NurtureTestSupport
import Testing

/// Issue 14.1 with the built binary: fit rules and decay from nurture.yml, in `leads
/// show`, `leads list --min-score` and a step's `fit_at_least`.
@Suite struct ScoringCommandTests {
    let project: TemporaryDirectory

    static let settings = """
        score:
          open: 1
          click: 3
          events: { demo_requested: 10 }
          half_life: 30d
          fit:
            - { attribute: employees, at_least: 200, points: 20 }
            - { attribute: title, matches: "(?i)\\\\b(vp|director|head)\\\\b", points: 15 }
            - { free_email: true, points: -10 }

        """

    init() throws {
        project = try TemporaryDirectory("nurture-scoring")
        try Repository.copyExample(into: project)
        try project.write("nurture.yml", Self.settings)
        try project.write(
            "people.csv",
            """
            email,first_name,employees,title
            ann@acme.example,Ann,500,Sales Director
            bo@gmail.com,Bo,3,Student

            """)
    }

    func nurture(_ arguments: String...) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url)
    }

    @Test func showAndListUseFitPlusDecayedEngagement() throws {
        #expect(try nurture("leads", "import", "people.csv").status == 0)
        #expect(try nurture("event", "ann@acme.example", "demo_requested", "--at", "2030-01-01T00:00:00Z").status == 0)
        // Thirty days later the event's 10 points are worth 5: 35 + 5.
        let shown = try nurture("leads", "show", "ann@acme.example", "--now", "2030-01-31T00:00:00Z")
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("score:      40 = fit 35 + engagement 5"), "\(shown.stdout)")
        #expect(shown.stdout.contains("fit +20: employees at least 200"), "\(shown.stdout)")
        #expect(shown.stdout.contains("fit +15: title matches (?i)\\b(vp|director|head)\\b"), "\(shown.stdout)")
        #expect(shown.stdout.contains("score +10 (event demo_requested, worth 5 now)"), "\(shown.stdout)")
        let json = try nurture("leads", "show", "ann@acme.example", "--format", "json", "--now", "2030-03-02T00:00:00Z")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(
            object?["score"] as? Double == 37.5 && object?["fit"] as? Int == 35
                && object?["engagement"] as? Double == 2.5)

        let listed = try nurture(
            "leads", "list", "--min-score", "38", "--format", "csv", "--now", "2030-01-31T00:00:00Z")
        #expect(
            listed.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] } == ["ann@acme.example"]
        )
        #expect(listed.stdout.contains(",40,"), "\(listed.stdout)")
        let later = try nurture(
            "leads", "list", "--min-score", "38", "--format", "csv", "--now", "2030-03-02T00:00:00Z")
        #expect(later.stdout.split(separator: "\n").count == 1, "decayed below 38: \(later.stdout)")
        let everyone = try nurture("leads", "list", "--format", "csv", "--now", "2030-01-31T00:00:00Z")
        #expect(everyone.stdout.contains("bo@gmail.com,Bo,,active,-10,"), "\(everyone.stdout)")
    }

    @Test func aStepCanRequireFit() throws {
        try project.write(
            "campaigns/fit.yml",
            """
            id: fit
            from: ada@acme.example
            enroll: { tags: [fit] }
            steps:
              - { id: pitch, subject: For you, template: fit/pitch, if: { fit_at_least: 20 } }

            """)
        try project.write("templates/fit/pitch.txt.mustache", "Hello {{first_name}}\n")
        try project.write(
            "people.csv",
            "email,first_name,employees,title,tags\nann@acme.example,Ann,500,VP,fit\nbo@gmail.com,Bo,3,Student,fit\n")
        #expect(try nurture("leads", "import", "people.csv").status == 0)
        let run = try nurture("run", "--once", "--now", "2030-01-07T15:00:00Z")
        #expect(run.status == 0, "\(run.stderr)")
        let files = try FileManager.default.contentsOfDirectory(
            atPath: project.url.appendingPathComponent("outbox").path)
        let sent = try files.filter { $0.contains("pitch") }.map {
            try String(contentsOf: project.url.appendingPathComponent("outbox/\($0)"), encoding: .utf8)
        }
        #expect(sent.count == 1)
        #expect(sent.first?.contains("ann@acme.example") == true)
    }

    @Test(arguments: [
        (
            "    - { attribute: title, matches: \"(unclosed\", points: 1 }",
            "nurture.yml:3:36: error: 'matches' is not a valid regular expression"
        ),
        (
            "    - { attribute: size, at_least: big, points: 1 }",
            "nurture.yml:3:36: error: 'at_least' takes a number, not 'big'"
        ),
        ("    - { attribute: size, points: 1 }", "nurture.yml:3:7: error: a fit rule needs one test"),
        (
            "    - { free_email: true, in: [a], points: 1 }",
            "nurture.yml:3:7: error: a fit rule has one test, not in and free_email"
        ),
        ("    - { attribute: size, at_least: 5 }", "nurture.yml:3:7: error: a fit rule is missing 'points'"),
    ])
    func badFitRulesNameTheirPlace(rule: String, error: String) throws {
        try project.write("nurture.yml", "score:\n  fit:\n\(rule)\n")
        let result = try nurture("validate")
        #expect(result.status == 1)
        #expect(result.stderr.contains(error), "\(result.stderr)")
    }

    @Test func aBadHalfLifeIsAnError() throws {
        try project.write("nurture.yml", "score:\n  half_life: -3d\n")
        let result = try nurture("validate")
        #expect(
            result.stderr.contains(
                "nurture.yml:2:14: error: 'half_life' must be a positive duration or none, not '-3d'"),
            "\(result.stderr)")
    }
}
