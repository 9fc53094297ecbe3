import Foundation
import NurtureCore
import Testing

/// The report's rules, applied to counts a store gathered (issue 12: rules in the core).
@Suite struct CampaignReportTests {
    let t0 = Date(timeIntervalSince1970: 1_900_000_000)

    @Test func statesAndRequestsLandInTheirColumns() {
        var tally = CampaignTally()
        tally.enrollments = [
            .init(state: "active", leadStatus: "active", count: 5),
            .init(state: "completed", leadStatus: "active", count: 2),
            .init(state: "suppressed", leadStatus: "unsubscribed", count: 3),
            .init(state: "suppressed", leadStatus: "bounced", count: 1),
            .init(state: "exited", leadStatus: "unsubscribed", count: 4),
            .init(state: "converted", leadStatus: "active", count: 1),
        ]
        tally.messages = [
            .init(step: "one", state: "sent", leadBounced: false, count: 10),
            .init(step: "one", state: "failed", leadBounced: true, count: 2),
            .init(step: "one", state: "failed", leadBounced: false, count: 1),
            .init(step: "one", state: "sending", leadBounced: false, count: 1),
            .init(step: "one", state: "deferred", leadBounced: false, count: 2),
            .init(step: "one", state: "skipped", leadBounced: false, count: 3),
            .init(step: "gone", state: "unknown", leadBounced: false, count: 1),
        ]
        tally.activity = [
            .init(step: "one", kind: "open", activityClass: "human", requests: 7, messages: 4),
            .init(step: "one", kind: "open", activityClass: "machine", requests: 5, messages: 5),
            .init(step: "one", kind: "open", activityClass: "unknown", requests: 1, messages: 1),
            .init(step: "one", kind: "click", activityClass: "human", requests: 3, messages: 2),
        ]
        tally.unsubscribedByStep = ["one": 3]
        let report = CampaignReport(tally: tally, campaignID: "c", stepOrder: ["one", "two"])
        #expect(
            report.enrolled == 16 && report.active == 5 && report.completed == 2 && report.exited == 4
                && report.converted == 1)
        #expect(
            report.unsubscribed == 3, "an exited lead who unsubscribed later did not unsubscribe from this campaign")
        #expect(
            report.steps.map(\.step) == ["one", "two", "gone", CampaignReport.noStep],
            "the file's order, then steps no longer in it, then what no step earned (a conversion before any mail)")
        let one = report.steps[0]
        #expect(one.sent == 10 && one.failed == 3 && one.bounced == 2 && one.deferred == 3 && one.skipped == 3)
        #expect(one.uniqueOpens == 4 && one.totalOpens == 7 && one.machineOpens == 6)
        #expect(one.uniqueClicks == 2 && one.totalClicks == 3 && one.machineClicks == 0)
        #expect(one.unsubscribed == 3)
        #expect(report.steps[2].unknown == 1)
    }

    /// Issue 36.8: the campaign's totals are the sums of its rows: conversions before any
    /// mail and unsubscribes not through this campaign's links have a row of their own.
    @Test func totalsAreTheSumsOfTheRows() {
        var tally = CampaignTally()
        tally.enrollments = [
            .init(state: "converted", leadStatus: "active", count: 3),
            .init(state: "suppressed", leadStatus: "unsubscribed", count: 4),
        ]
        tally.messages = [.init(step: "one", state: "sent", leadBounced: false, count: 6)]
        tally.convertedSends = [.init(enrollmentID: 1, step: "one", sentAt: t0, messageRow: 1)]
        // Two unsubscribed through step one's link (one of them after its drip ended),
        // three while their drip here was live, by another campaign's link.
        tally.unsubscribedByStep = ["one": 2]
        tally.unsubscribedElsewhere = 3
        let report = CampaignReport(tally: tally, campaignID: "c", stepOrder: ["one"])
        #expect(report.steps.map(\.step) == ["one", CampaignReport.noStep])
        #expect(report.converted == 3 && report.steps.map(\.converted) == [1, 2])
        #expect(report.unsubscribed == 5 && report.steps.map(\.unsubscribed) == [2, 3])
        #expect(report.converted == report.steps.reduce(0) { $0 + $1.converted })
        #expect(report.unsubscribed == report.steps.reduce(0) { $0 + $1.unsubscribed })
    }

    @Test func aConversionIsCreditedToTheLastStepSentBeforeIt() {
        var tally = CampaignTally()
        tally.convertedSends = [
            .init(enrollmentID: 1, step: "one", sentAt: t0, messageRow: 10),
            .init(enrollmentID: 1, step: "two", sentAt: t0.addingTimeInterval(86_400), messageRow: 11),
            .init(enrollmentID: 2, step: "one", sentAt: t0, messageRow: 20),
            // The same second: the later row was sent last.
            .init(enrollmentID: 3, step: "two", sentAt: t0, messageRow: 31),
            .init(enrollmentID: 3, step: "one", sentAt: t0, messageRow: 30),
        ]
        let report = CampaignReport(tally: tally, campaignID: "c", stepOrder: ["one", "two"])
        #expect(report.steps.map(\.converted) == [1, 2])
    }
}

/// Issue 15.6: `/metrics` per campaign, for a dashboard's rates.
@Test func metricsCarryPerCampaignCounts() {
    var metrics = StoreMetrics()
    metrics.campaigns = ["trial": .init(sent: 10, opened: 4, clicked: 2, converted: 1), "odd\"name": .init(sent: 1)]
    let text = metrics.prometheusText
    #expect(
        text.contains(
            "# TYPE nurture_campaign_sent_total counter\nnurture_campaign_sent_total{campaign=\"odd\\\"name\"} 1\nnurture_campaign_sent_total{campaign=\"trial\"} 10\n"
        ))
    #expect(text.contains("# TYPE nurture_campaign_opened_messages gauge\n"))
    #expect(text.contains("nurture_campaign_opened_messages{campaign=\"trial\"} 4\n"))
    #expect(text.contains("nurture_campaign_clicked_messages{campaign=\"trial\"} 2\n"))
    #expect(text.contains("nurture_campaign_conversions_total{campaign=\"trial\"} 1\n"))
}

/// Issue 15.3: links are listed in the campaign's step order, then by position.
@Test func linksFollowTheStepOrderThenTheirPosition() {
    func link(_ step: String, _ position: Int) -> LinkTally {
        LinkTally(
            step: step, position: position, url: "https://x.example/\(position)", uniqueHumanClicks: 0, humanClicks: 0,
            machineClicks: 0)
    }
    let ordered = LinkTally.ordered(
        [link("gone", 0), link("tips", 1), link("welcome", 2), link("tips", 0), link("welcome", 0)],
        stepOrder: ["welcome", "tips"])
    #expect(ordered.map { "\($0.step)#\($0.position)" } == ["welcome#0", "welcome#2", "tips#0", "tips#1", "gone#0"])
}

/// A/B variants have links of their own, and the text part's links are numbered apart
/// from the HTML part's: each is named by its part and place from 1.
@Test func linksAreTalliedPerVariantAndNamedByTheirPart() {
    func link(_ variant: String?, _ position: Int) -> LinkTally {
        LinkTally(
            step: "welcome", variant: variant, position: position, url: "https://x.example/", uniqueHumanClicks: 0,
            humanClicks: 0, machineClicks: 0)
    }
    let ordered = LinkTally.ordered(
        [link("b", 0), link("a", LinkRewriter.firstTextLink + 1), link("a", 0)], stepOrder: ["welcome"])
    #expect(ordered.map { "\($0.variant ?? "-") \($0.label)" } == ["a #1", "a text #2", "b #1"])
    #expect(ordered.map(\.part) == ["html", "text", "html"] && ordered.map(\.number) == [1, 2, 1])
}
