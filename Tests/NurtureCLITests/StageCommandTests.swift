import Foundation
import NurtureTestSupport
import Testing

/// Issue 14.2 with the built binary: stages from nurture.yml move leads on as events and
/// fields arrive, enrol them in campaigns that wait for a stage's event, and report.
@Suite struct StageCommandTests {
    let project: TemporaryDirectory

    init() throws {
        project = try TemporaryDirectory("nurture-stages")
        try Repository.copyExample(into: project)
        try project.write(
            "nurture.yml",
            ScoringCommandTests.settings + """
                stages:
                  - { id: mql, when: { score_at_least: 30 } }
                  - { id: sql, when: { event: sales_accepted } }

                """)
        try project.write(
            "campaigns/qualified.yml",
            """
            id: qualified
            from: ada@acme.example
            enroll: { events: [mql] }
            exit_on: [sql]
            steps:
              - { id: hello, subject: Talk to us, template: qualified/hello }

            """)
        try project.write("templates/qualified/hello.txt.mustache", "Hello {{first_name}}\n")
        try project.write(
            "people.csv",
            """
            email,first_name,employees,title
            ann@acme.example,Ann,500,Engineer
            bo@gmail.com,Bo,3,Student
            cy@acme.example,Cy,900,VP Engineering

            """)
    }

    func nurture(_ arguments: String...) throws -> NurtureBinary.Result {
        try NurtureBinary.run(arguments, in: project.url)
    }

    func sent(_ step: String) throws -> [String] {
        let outbox = project.url.appendingPathComponent("outbox")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: outbox.path)) ?? []
        return try files.filter { $0.contains(step) }.map {
            try String(contentsOf: outbox.appendingPathComponent($0), encoding: .utf8)
        }
    }

    @Test func leadsMoveThroughStagesAndGetTheCampaignThatWaitsForOne() throws {
        #expect(try nurture("leads", "import", "people.csv").status == 0)
        // The tick checks every lead once: Cy's fit alone (20 + 15) makes an mql, who is
        // enrolled on the stage's event in the same tick.
        let first = try nurture("run", "--once")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("entered 1 stage"), "\(first.stdout)")
        #expect(try sent("hello").map { $0.contains("cy@acme.example") } == [true])
        // Ann's fit (20) and a demo request (10) reach 30: she enters at once.
        let event = try nurture("event", "ann@acme.example", "demo_requested")
        #expect(event.stdout.contains("entered stage mql"), "\(event.stdout)")
        #expect(try nurture("run", "--once").status == 0)
        #expect(try sent("hello").count == 2)
        #expect(try nurture("run", "--once").stdout.hasPrefix("sent 0"), "each lead once")

        let list = try nurture("leads", "list", "--stage", "mql", "--format", "csv")
        #expect(
            list.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] } == [
                "ann@acme.example", "cy@acme.example",
            ])
        #expect(
            try nurture("leads", "list", "--stage", "sql", "--format", "csv").stdout.split(separator: "\n").count == 1)
        #expect(
            try nurture("leads", "list", "--stage", "nope").stderr.contains(
                "no stage 'nope' in nurture.yml; stages: mql, sql"))
        // sql: accepted by sales.
        #expect(try nurture("event", "cy@acme.example", "sales_accepted").stdout.contains("entered stage sql"))
        #expect(try nurture("leads", "show", "cy@acme.example").stdout.contains("stages:     mql, sql"))

        let report = try nurture("report", "--by", "stage")
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("(all leads)  3"), "\(report.stdout)")
        #expect(report.stdout.contains("mql          2         66.7%"), "\(report.stdout)")
        #expect(report.stdout.contains("sql          1         50.0%"), "\(report.stdout)")
        let json =
            try JSONSerialization.jsonObject(
                with: Data(try nurture("report", "--by", "stage", "--format", "json").stdout.utf8)) as? [String: Any]
        let rows = json?["stages"] as? [[String: Any]]
        #expect(rows?.map { $0["leads"] as? Int } == [2, 1])
    }

    /// Issue 36's trial: a lead past the campaign's goal is not mailed toward it, and an
    /// event dated ahead moves the lead on at the first replayed tick at or after it.
    @Test func theTrialsGoalMetAndFutureEventScenarios() throws {
        // Lee is accepted by sales: sql, and mql on the way. `qualified` enrols on mql
        // and ends on sql: nothing for Lee.
        let accepted = try nurture("event", "lee@buyer.example", "sales_accepted")
        #expect(accepted.stdout.contains("entered stage mql, sql"), "\(accepted.stdout)")
        let tick = try nurture("run", "--once")
        #expect(tick.status == 0, "\(tick.stderr)")
        #expect(try sent("hello").isEmpty, "no 'talk to us' after sales accepted the lead")
        let plan = try nurture("plan")
        #expect(plan.stdout.contains("1 lead it would enrol already met its goal (sql): kept out"), "\(plan.stdout)")
        let simulated = try nurture("simulate", "qualified", "--lead", "lee@buyer.example")
        #expect(
            simulated.stdout.contains("not enrolled: the lead already met the campaign's goal (event 'sql' at"),
            "\(simulated.stdout)")
        // Dee's acceptance is planned ahead: the wall clock (today) does not see it; a
        // replay at a later clock does, and dates the stages by the event.
        let planned = try nurture("event", "dee@buyer.example", "sales_accepted", "--at", "2030-02-01T12:00:00Z")
        #expect(!planned.stdout.contains("entered stage"), "\(planned.stdout)")
        let replay = try nurture("run", "--once", "--now", "2030-02-01T15:00:00Z")
        #expect(replay.stdout.contains("entered 2 stage"), "\(replay.stdout)")
        let json =
            try JSONSerialization.jsonObject(
                with: Data(try nurture("leads", "show", "dee@buyer.example", "--format", "json").stdout.utf8))
            as? [String: Any]
        let events = (json?["events"] as? [[String: Any]]) ?? []
        #expect(
            Set(events.filter { ["mql", "sql"].contains($0["name"] as? String) }.compactMap { $0["at"] as? String })
                == ["2030-02-01T12:00:00Z"],
            "\(events)")
        #expect(try nurture("report", "--by", "stage").stdout.contains("sql          2"))
    }

    /// Issue 36.7: the CRM hand-off carries what qualified each lead.
    @Test func leadsListGivesTheColumnsACRMNeeds() throws {
        try project.write(
            "people.csv",
            """
            email,first_name,employees,title,utm_source,utm_medium
            ann@acme.example,Ann,500,Engineer,webinar,event
            cy@acme.example,Cy,900,"VP, Engineering",ads,cpc

            """)
        #expect(try nurture("leads", "import", "people.csv").status == 0)
        #expect(try nurture("run", "--once").status == 0)
        let columns = "email,fit,engagement,score,stage,source,medium,campaign,title,employees,missing"
        let csv = try nurture("leads", "list", "--columns", columns, "--format", "csv")
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(
            csv.stdout.split(separator: "\n").map(String.init) == [
                columns,
                "ann@acme.example,20,0,20,,webinar,event,,Engineer,500,",
                "cy@acme.example,35,0,35,mql,ads,cpc,,\"VP, Engineering\",900,",
            ], "\(csv.stdout)")
        let json = try JSONSerialization.jsonObject(
            with: Data(
                try nurture("leads", "list", "--columns", "email,fit,stage,employees", "--format", "json").stdout.utf8))
        let rows = json as? [[String: Any]]
        #expect(
            rows?.last?["fit"] as? Int == 35 && rows?.last?["stage"] as? String == "mql"
                && rows?.last?["employees"] as? String == "900", "\(String(describing: rows))")
        #expect(rows?.first?["stage"] is NSNull)
        let table = try nurture("leads", "list", "--columns", "email,stage")
        #expect(table.stdout.contains("email  stage\nann@acme.example  -\ncy@acme.example  mql"), "\(table.stdout)")
    }

    @Test func aStepAskingForAnUnknownStageIsAnError() throws {
        try project.write(
            "campaigns/qualified.yml",
            """
            id: qualified
            from: ada@acme.example
            enroll: { tags: [x] }
            steps:
              - { id: hello, subject: Hi, template: qualified/hello, if: { stage: sqll } }

            """)
        let result = try nurture("validate")
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "campaigns/qualified.yml:5:5: error: step 'hello' asks for stage 'sqll', which nurture.yml does not define"
            ), "\(result.stderr)")
        #expect(result.stderr.contains("stages: mql, sql"))
    }
}
