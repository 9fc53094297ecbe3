import Foundation
import NurtureCore
import Testing

/// Issue 14.1: fit + decayed engagement, from recorded activity at a given time.
@Suite struct LeadScoreTests {
    let t0 = Date(timeIntervalSince1970: 1_900_000_000)
    let day: TimeInterval = 86_400

    func lead(_ address: String, _ attributes: [String: String] = [:]) throws -> Lead {
        Lead(email: try EmailAddress(address), attributes: attributes)
    }

    var fitRules: [FitRule] {
        get throws {
            [
                FitRule(attribute: "employees", test: .atLeast(200), points: 20),
                FitRule(attribute: "title", test: .matches(try FitPattern(#"(?i)\b(vp|director|head)\b"#)), points: 15),
                FitRule(attribute: "country", test: .oneOf(["US", "CA", "GB"]), points: 5),
                FitRule(attribute: nil, test: .freeEmail(true), points: -10),
            ]
        }
    }

    @Test func fitRulesEachAddTheirPoints() throws {
        let rules = ScoreRules(fit: try fitRules)
        let buyer = try lead("ann@acme.example", ["employees": "1,200", "title": "VP of Sales", "country": "gb"])
        #expect(rules.fit(of: buyer).points == 40)
        #expect(rules.fit(of: buyer).rules.map(\.points) == [20, 15, 5])
        // A word inside another word is not a title; a free mailbox takes points away.
        let student = try lead("bo@Gmail.com", ["employees": "12", "title": "Headless CMS fan", "country": "FR"])
        #expect(rules.fit(of: student).points == -10)
        // Values that are not numbers never pass a numeric test; absent values pass nothing.
        #expect(rules.fit(of: try lead("cy@acme.example", ["employees": "lots"])).points == 0)
        #expect(rules.fit(of: try lead("cy@acme.example")).points == 0)
        #expect(
            ScoreRules(fit: [FitRule(attribute: nil, test: .freeEmail(false), points: 7)]).fit(of: buyer).points == 7)
        #expect(
            ScoreRules(fit: [FitRule(attribute: "employees", test: .atMost(50), points: 3)]).fit(of: student).points
                == 3)
        #expect(
            ScoreRules(fit: [FitRule(attribute: "plan", test: .equals("Pro"), points: 4)]).fit(
                of: try lead("d@x.example", ["plan": " pro "])
            ).points == 4)
    }

    /// Only the start of a long value is read, so a hostile form value costs little.
    @Test func patternsReadABoundedPrefix() throws {
        let rules = ScoreRules(fit: [
            FitRule(attribute: "title", test: .matches(try FitPattern("director$")), points: 15)
        ])
        let long = String(repeating: "a", count: FitRule.valueLimit) + " director"
        #expect(rules.fit(of: try lead("a@b.example", ["title": long])).points == 0)
        #expect(rules.fit(of: try lead("a@b.example", ["title": "Sales director"])).points == 15)
    }

    @Test func engagementHalvesEveryHalfLife() {
        let rules = ScoreRules(halfLife: 30 * day)
        let click = ScoreChange(at: t0, points: 8, reason: "click")
        #expect(rules.worth(of: click, at: t0) == 8)
        #expect(rules.worth(of: click, at: t0.addingTimeInterval(30 * day)) == 4)
        #expect(rules.worth(of: click, at: t0.addingTimeInterval(60 * day)) == 2)
        #expect(abs(rules.worth(of: click, at: t0.addingTimeInterval(15 * day)) - 8 / 2.0.squareRoot()) < 1e-9)
        #expect(rules.worth(of: click, at: t0.addingTimeInterval(-1)) == 0, "not before it happened")
        // Without a half-life points keep their value.
        #expect(ScoreRules().worth(of: click, at: t0.addingTimeInterval(3650 * day)) == 8)
        // Rounded to one decimal: 8 × 0.5^(100/30) = 0.7937…
        #expect(rules.engagement(of: [click], at: t0.addingTimeInterval(100 * day)) == 0.8)
    }

    @Test func aScoreIsFitPlusDecayedEngagementFromEvidence() throws {
        let rules = ScoreRules(open: 1, click: 3, events: ["demo_requested": 10], halfLife: 10 * day, fit: try fitRules)
        let evidence = [
            ScoreEvidence(.open(campaign: "c", step: "one"), at: t0),
            // A second open of one message.
            ScoreEvidence(.open(campaign: "c", step: "one"), at: t0.addingTimeInterval(60)),
            ScoreEvidence(.click(campaign: "c", step: "one"), at: t0.addingTimeInterval(120)),
            ScoreEvidence(.event("demo_requested"), at: t0.addingTimeInterval(10 * day)),
            ScoreEvidence(.event("page_view"), at: t0),  // an event without points
        ]
        #expect(rules.changes(from: evidence).map(\.points) == [1, 3, 10])
        let ann = try lead("ann@acme.example", ["employees": "500"])
        // At day 10 the open and click are worth half (0.5 + 1.5), the event all of its 10.
        let score = rules.score(of: ann, evidence: evidence, at: t0.addingTimeInterval(10 * day))
        #expect(score.fit == 20)
        #expect(score.engagement == 12)
        #expect(score.total == 32)
        #expect(score.totalText == "32")
        // Before the event, only what had happened by then.
        #expect(rules.score(of: ann, evidence: evidence, at: t0.addingTimeInterval(5 * day)).engagement == 2.8)
        #expect(LeadScore(fit: 0, engagement: 2.8).totalText == "2.8")
    }

    @Test func fitAndEngagementConditions() throws {
        let snapshot = EnrollmentSnapshot(id: 1, campaignID: "c", enrolledAt: t0)
        var ann = try lead("ann@acme.example")
        ann.score = LeadScore(fit: 20, engagement: 9.9)
        let evaluator = ConditionEvaluator(lead: ann, snapshot: snapshot)
        #expect(evaluator.holds(.scoreAtLeast(29)))
        #expect(!evaluator.holds(.scoreAtLeast(30)), "29.9 is not 30")
        #expect(evaluator.holds(.fitAtLeast(20)) && !evaluator.holds(.fitAtLeast(21)))
        #expect(evaluator.holds(.engagementAtLeast(9)) && !evaluator.holds(.engagementAtLeast(10)))
        #expect(evaluator.explain(.scoreAtLeast(30)).why == "no: score_at_least 30: no (score 29.9)")
        #expect(Condition.all([.hasTag("x"), .any([.engagementAtLeast(3)])]).readsScore)
        #expect(!Condition.hasTag("x").readsScore)
    }
}
