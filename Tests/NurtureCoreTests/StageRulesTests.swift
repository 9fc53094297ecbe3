import Foundation
import NurtureCore
import Testing

/// Issue 14.2: forward-only stages, pure.
@Suite struct StageRulesTests {
    let rules = StageRules([
        Stage(id: "mql", when: .scoreAtLeast(30)),
        Stage(id: "sql", when: .event("sales_accepted")),
        Stage(id: "customer", when: .event("purchased")),
    ])

    func lead(score: Double = 0, events: [String] = [], stages: Set<String> = []) throws -> Lead {
        var lead = Lead(email: try EmailAddress("ann@acme.example"))
        lead.score = LeadScore(fit: 0, engagement: score)
        lead.firstEvents = Dictionary(uniqueKeysWithValues: events.map { ($0, Date(timeIntervalSince1970: 0)) })
        lead.stages = stages
        return lead
    }

    @Test func aLeadEntersEachStageOnceAndOnlyForward() throws {
        #expect(rules.entering(try lead(score: 29.9)).isEmpty)
        #expect(rules.entering(try lead(score: 30)) == ["mql"])
        #expect(rules.entering(try lead(score: 30, stages: ["mql"])).isEmpty, "entered once")
        #expect(rules.entering(try lead(score: 0, stages: ["mql"])).isEmpty, "a fallen score does not go back")
        // Jumping ahead enters what it passed over, so a stage counts everyone who got that far.
        #expect(rules.entering(try lead(events: ["purchased"])) == ["mql", "sql", "customer"])
        #expect(rules.entering(try lead(events: ["sales_accepted"], stages: ["mql"])) == ["sql"])
        #expect(rules.atOrAfter("sql") == ["sql", "customer"])
        #expect(rules.atOrAfter("nope").isEmpty)
        #expect(rules.fingerprint != StageRules([Stage(id: "mql", when: .scoreAtLeast(31))]).fingerprint)
    }

    @Test func stageAndEventConditions() throws {
        let snapshot = EnrollmentSnapshot(id: 1, campaignID: "c", enrolledAt: Date(timeIntervalSince1970: 0))
        let evaluator = ConditionEvaluator(lead: try lead(events: ["demo"], stages: ["mql"]), snapshot: snapshot)
        #expect(evaluator.holds(.stage("mql")) && !evaluator.holds(.stage("sql")))
        #expect(evaluator.holds(.event("demo")) && !evaluator.holds(.event("purchased")))
        #expect(Condition.any([.stage("mql")]).readsStages && !Condition.event("x").readsStages)
    }

    @Test func theFunnelSaysHowManyWentOn() {
        let funnel = StageFunnel(stages: ["mql", "sql", "customer"], counts: ["mql": 40, "sql": 10], totalLeads: 200)
        #expect(funnel.rows.map(\.leads) == [40, 10, 0])
        #expect(funnel.rows.map(\.rateFromPrevious) == [0.2, 0.25, 0])
        #expect(StageFunnel(stages: ["mql"], counts: [:], totalLeads: 0).rows.first?.rateFromPrevious == nil)
    }

    @Test(arguments: [
        (
            "  - { id: mql, when: { opened: welcome } }",
            "nurture.yml:2:22: error: stage 'mql' cannot depend on a campaign's steps"
        ),
        (
            "  - { id: mql, when: { stage: sql } }",
            "nurture.yml:2:22: error: stage 'mql' can only depend on stages before it, not 'sql'"
        ),
        ("  - { id: mql }", "nurture.yml:2:5: error: stage 'mql' is missing 'when'"),
        (
            "  - { id: mql, when: { score_at_least: 1 } }\n  - { id: mql, when: { score_at_least: 2 } }",
            "nurture.yml:3:11: error: stage 'mql' is defined twice"
        ),
        ("  - { id: \"m q\", when: { score_at_least: 1 } }", "nurture.yml:2:11: error: a stage id is letters"),
    ])
    func badStagesNameTheirPlace(yaml: String, error: String) throws {
        var diagnostics = DiagnosticBag()
        let node = try #require(YAMLNode.parse("stages:\n\(yaml)\n", file: "nurture.yml", into: &diagnostics))
        let map = try #require(MappingReader(node, what: "settings", into: &diagnostics))
        _ = CampaignParser(file: "nurture.yml").parseStages(try #require(map["stages"]), into: &diagnostics)
        #expect(
            diagnostics.sorted.map(\.description).contains { $0.hasPrefix(error) },
            "\(diagnostics.sorted.map(\.description))")
    }
}
