import Foundation
import NurtureCore
import Testing

/// Issue 15.4's pure parts: assignment, the two-proportion test, the winner rule, the
/// per-variant counts, and how variants are written.
@Suite struct VariantTests {
    static let step: Step = {
        var step = Step(
            id: "welcome", timing: .wait(.zero), subject: "A", template: "t",
            location: SourceLocation(file: "c.yml", line: 1, column: 1))
        step.variants = ["a", "b"].map {
            StepVariant(id: $0, subject: $0.uppercased(), template: "t", location: step.location)
        }
        return step
    }()

    @Test func assignmentIsEvenWithinTwoPercentOver10000Leads() {
        for count in [2, 3] {
            var step = Self.step
            step.variants = (0..<count).map {
                StepVariant(id: "v\($0)", subject: "s", template: "t", location: step.location)
            }
            var tally: [String: Int] = [:]
            for lead in Int64(1)...10_000 {
                tally[
                    VariantAssignment.variant(of: step, campaignID: "onboarding", leadID: lead, winner: nil) ?? "",
                    default: 0] += 1
            }
            #expect(tally.count == count)
            for (variant, leads) in tally {
                #expect(
                    abs(Double(leads) / 10_000 - 1 / Double(count)) <= 0.02,
                    "\(variant): \(leads) of 10,000 among \(count)")
            }
        }
    }

    @Test func assignmentNeverChangesForALeadAndTheWinnerTakesOver() {
        let first = (1...50).map { VariantAssignment.variant(of: Self.step, campaignID: "c", leadID: $0, winner: nil) }
        let again = (1...50).map { VariantAssignment.variant(of: Self.step, campaignID: "c", leadID: $0, winner: nil) }
        #expect(first == again)
        #expect(Set(first) == ["a", "b"])
        // Written down once: the choice must not depend on the process or the version
        // (a lead not yet mailed would otherwise change sides in an upgrade).
        #expect(first.prefix(12).map { $0 ?? "" }.joined() == "aaababbaaaba")
        #expect(
            (1...50).allSatisfy {
                VariantAssignment.variant(of: Self.step, campaignID: "c", leadID: $0, winner: "b") == "b"
            })
        #expect(
            VariantAssignment.variant(of: Self.step, campaignID: "c", leadID: 1, winner: "gone") == first[0],
            "a winner no longer written is ignored")
        var plain = Self.step
        plain.variants = []
        #expect(VariantAssignment.variant(of: plain, campaignID: "c", leadID: 1, winner: nil) == nil)
    }

    /// Values from R's prop.test(c(x1, x2), c(n1, n2), correct = FALSE), whose
    /// chi-squared is the square of the pooled z.
    @Test func theTwoProportionTestMatchesKnownValues() throws {
        let cases: [(Int, Int, Int, Int, Double)] = [
            (45, 100, 30, 100, 0.02846),  // X-squared = 4.8
            (200, 1000, 250, 1000, 0.007420),  // X-squared = 7.1685
            (120, 500, 100, 500, 0.1268),  // X-squared = 2.331
            (30, 100, 30, 100, 1.0),
        ]
        for (x1, n1, x2, n2, expected) in cases {
            let p = try #require(TwoProportionTest.pValue(successes: x1, trials: n1, successes: x2, trials: n2))
            #expect(
                abs(p - expected) < expected * 0.001 + 1e-6, "\(x1)/\(n1) vs \(x2)/\(n2): \(p), expected \(expected)")
            #expect(
                TwoProportionTest.pValue(successes: x2, trials: n2, successes: x1, trials: n1) == p,
                "two-sided: order does not matter")
        }
        #expect(TwoProportionTest.pValue(successes: 0, trials: 0, successes: 1, trials: 10) == nil)
        #expect(TwoProportionTest.pValue(successes: 0, trials: 50, successes: 0, trials: 50) == 1)
        #expect(TwoProportionTest.pValue(successes: 50, trials: 50, successes: 50, trials: 50) == 1)
    }

    func row(_ variant: String, sent: Int, clicked: Int, opened: Int = 0) -> VariantReport.Row {
        var row = VariantReport.Row(step: "welcome", variant: variant)
        row.sent = sent
        row.clicked = clicked
        row.opened = opened
        return row
    }

    @Test func theWinnerRuleWaitsForEnoughSendsAndSignificance() throws {
        let rule = WinnerRule(metric: .clickRate, after: 100)
        #expect(
            rule.decide([row("a", sent: 99, clicked: 0), row("b", sent: 500, clicked: 200)]) == nil,
            "a has not been sent 100 times")
        #expect(
            rule.decide([row("a", sent: 100, clicked: 30), row("b", sent: 100, clicked: 38)]) == nil,
            "p ≈ 0.23: not significant")
        let won = try #require(rule.decide([row("a", sent: 100, clicked: 30), row("b", sent: 100, clicked: 45)]))
        #expect(won.variant == "b" && abs((won.pValue ?? 1) - 0.02846) < 0.0001)
        // The metric decides: b clicks more, a opens more.
        let opens = WinnerRule(metric: .openRate, after: 100)
        #expect(
            opens.decide([row("a", sent: 100, clicked: 30, opened: 60), row("b", sent: 100, clicked: 45, opened: 40)])?
                .variant == "a")
        // With three, the best must beat each of the others.
        #expect(
            rule.decide([
                row("a", sent: 100, clicked: 30), row("b", sent: 100, clicked: 45), row("c", sent: 100, clicked: 40),
            ]) == nil)
        #expect(
            rule.decide([
                row("a", sent: 100, clicked: 30), row("b", sent: 100, clicked: 45), row("c", sent: 100, clicked: 28),
            ])?.variant == "b")
        #expect(rule.decide([row("a", sent: 100, clicked: 30)]) == nil, "one variant is no test")
        #expect(WinnerRule(pick: "a").decide([])?.variant == "a", "a pick wins at once")
    }

    @Test func theReportCountsEachVariantAndCreditsConversions() throws {
        let t0 = Date(timeIntervalSince1970: 1_900_000_000)
        func message(
            _ row: Int64, _ enrollment: Int64, _ step: String, _ variant: String?, opened: Bool = false,
            clicked: Bool = false,
            converted: Bool = false, at offset: TimeInterval = 0
        ) -> SentMessage {
            SentMessage(
                row: row, enrollmentID: enrollment, step: step, sentAt: t0 + offset, opened: opened, clicked: clicked,
                unsubscribed: false,
                enrollmentConverted: converted, variant: variant)
        }
        let messages = [
            message(1, 1, "welcome", "a", opened: true, converted: true),
            message(2, 2, "welcome", "b", opened: true, clicked: true),
            message(3, 3, "welcome", "b", clicked: true, converted: true),
            message(4, 3, "later", nil, converted: true, at: 60),  // the later step gets enrolment 3's conversion
            message(5, 4, "welcome", "old"),  // a variant since taken out of the file
        ]
        let report = VariantReport(messages: messages, steps: [Self.step])
        #expect(report.rows.map(\.variant) == ["a", "b", "old"])
        let (a, b) = (report.rows[0], report.rows[1])
        #expect(a.sent == 1 && a.opened == 1 && a.clicked == 0 && a.converted == 1)
        #expect(b.sent == 2 && b.opened == 1 && b.clicked == 2 && b.converted == 0)
        #expect(a.openP == nil && b.openP != nil && report.rows[2].sent == 1)
        #expect(b.clickRate == 1 && a.conversionRate == 1)
    }

    func parse(_ steps: String) -> (Campaign?, [String]) {
        var diagnostics = DiagnosticBag()
        let campaign = CampaignParser(file: "c.yml").parse(
            "from: \"A <a@b.example>\"\nenroll: { tags: [x] }\nsteps:\n" + steps, into: &diagnostics)
        return (campaign, (diagnostics.errors + diagnostics.warnings).map(\.description))
    }

    @Test func variantsTakeWhatTheyLeaveOutFromTheStep() throws {
        let (campaign, problems) = parse(
            """
              - id: welcome
                subject: "Hi {{first_name}}"
                template: welcome
                variants:
                  - { id: a }
                  - { id: b, subject: "Yo", template: welcome-b }
                winner: { metric: conversion_rate, after: 250 }
            """)
        #expect(problems.isEmpty, "\(problems)")
        let step = try #require(campaign?.steps.first)
        #expect(step.variants.map(\.subject) == ["Hi {{first_name}}", "Yo"])
        #expect(step.variants.map(\.template) == ["welcome", "welcome-b"])
        #expect(step.winner == WinnerRule(metric: .conversionRate, after: 250))
        #expect(step.renderings.map(\.subjectKey) == ["welcome/a", "welcome/b"])
        #expect(step.rendering(variant: "b").template == "welcome-b" && step.rendering(variant: nil).variantID == "a")
        #expect(step.subjectKey == "welcome/a", "code that reads one subject reads the first variant's")
    }

    @Test func badVariantsAndWinnersAreReportedWhereTheyAre() {
        let (_, problems) = parse(
            """
              - id: welcome
                subject: s
                template: t
                variants:
                  - { id: only }
                winner: { metric: revenue, after: 10 }
              - id: two
                subject: s
                template: t
                winner: { after: 0 }
              - id: three
                variants: [{ id: a, subject: s, template: t }, { id: b, subject: s, template: t }]
                winner: { after: "lots" }
              - id: four
                variants: [{ id: a, subject: s, template: t }, { id: b, subject: s, template: t }]
                winner: { pick: b, after: 5 }
            """)
        #expect(
            problems.contains {
                $0.hasPrefix("c.yml:8:7: error: step 'welcome' has 1 variant; an A/B test needs at least two")
            }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix("c.yml:9:23: error: 'revenue' is not a winner metric") })
        #expect(problems.contains { $0.hasPrefix("c.yml:13:13: error: step 'two' has a 'winner' but no 'variants'") })
        #expect(
            problems.contains {
                $0.hasPrefix("c.yml:16:22: error: 'after' must be a whole number of messages of at least 1, not 'lots'")
            })
        #expect(problems.contains { $0.hasPrefix("c.yml:19:24: warning: 'after' has no effect with 'pick'") })
    }
}
