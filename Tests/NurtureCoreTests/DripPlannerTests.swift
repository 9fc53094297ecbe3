import Foundation
import NurtureCore
import Testing

/// The scheduler, driven by an explicit `now`.
@Suite struct DripPlannerTests {
    static let location = SourceLocation(file: "c.yml", line: 1, column: 1)
    let planner = DripPlanner()

    func date(_ iso: String) -> Date { try! Date.ISO8601FormatStyle().parse(iso) }

    func step(_ id: String, _ wait: String, if condition: Condition? = nil, else otherwise: ConditionFallback = .skip)
        -> Step
    {
        Step(
            id: id, timing: .wait(try! DripDuration.parse(wait)), subject: id, template: id, condition: condition,
            otherwise: otherwise, location: Self.location)
    }

    func campaign(_ steps: [Step], window: SendWindow? = nil) -> Campaign {
        Campaign(
            id: "c", name: "C", from: Mailbox(displayName: nil, address: try! EmailAddress("a@acme.example")),
            enroll: EnrollmentRule(tags: ["t"]), sendWindow: window, steps: steps, file: "c.yml")
    }

    let lead = Lead(email: try! EmailAddress("ann@example.com"))

    @Test func firstStepWaitsFromEnrolmentLaterOnesFromTheLastSend() {
        let drip = campaign([step("one", "0m"), step("two", "2d"), step("three", "1w")])
        let enrolled = date("2030-01-07T10:00:00Z")
        var snapshot = EnrollmentSnapshot(id: 1, campaignID: "c", enrolledAt: enrolled)
        #expect(
            planner.plan(campaign: drip, lead: lead, snapshot: snapshot, now: enrolled).action == .send(drip.steps[0]))

        snapshot.steps["one"] = .sent
        snapshot.lastSentAt = enrolled
        #expect(
            planner.plan(campaign: drip, lead: lead, snapshot: snapshot, now: enrolled).action
                == .wait(until: date("2030-01-09T10:00:00Z"), step: "two"))
        #expect(
            planner.plan(campaign: drip, lead: lead, snapshot: snapshot, now: date("2030-01-09T10:00:00Z")).action
                == .send(drip.steps[1]))

        // The loop was down for a month: step two goes now, and three a week after *that*.
        let late = date("2030-02-07T08:00:00Z")
        snapshot.steps["two"] = .sent
        snapshot.lastSentAt = late
        #expect(
            planner.plan(campaign: drip, lead: lead, snapshot: snapshot, now: late).action
                == .wait(until: date("2030-02-14T08:00:00Z"), step: "three"))
        snapshot.steps["three"] = .sent
        #expect(planner.plan(campaign: drip, lead: lead, snapshot: snapshot, now: late).action == .complete)
    }

    @Test func falseConditionSkipsOrExits() {
        let drip = campaign([
            step("one", "0m"), step("two", "1d", if: .opened(step: "one")),
            step("three", "1d", if: .clicked(step: "one"), else: .exit),
        ])
        let start = date("2030-01-07T10:00:00Z")
        let snapshot = EnrollmentSnapshot(
            id: 1, campaignID: "c", enrolledAt: start, lastSentAt: start, steps: ["one": .sent])
        let plan = planner.plan(campaign: drip, lead: lead, snapshot: snapshot, now: date("2030-01-08T10:00:00Z"))
        #expect(plan.skipped.map(\.step) == ["two"])
        #expect(plan.action == .exit(step: "three"))

        var engaged = snapshot
        engaged.opened = ["one"]
        #expect(
            planner.plan(campaign: drip, lead: lead, snapshot: engaged, now: date("2030-01-08T10:00:00Z")).action
                == .send(drip.steps[1]))
    }

    @Test func suppressedLeadsGetNothing() {
        var unsubscribed = lead
        unsubscribed.status = .unsubscribed
        let snapshot = EnrollmentSnapshot(id: 1, campaignID: "c", enrolledAt: date("2030-01-07T10:00:00Z"))
        #expect(
            planner.plan(
                campaign: campaign([step("one", "0m")]), lead: unsubscribed, snapshot: snapshot, now: .distantFuture
            ).action
                == .suppressed(.unsubscribed))
    }

    @Test func editsNeverResendAndMoveForwardFromTheLead() {
        let start = date("2030-01-07T10:00:00Z")
        let snapshot = EnrollmentSnapshot(
            id: 1, campaignID: "c", enrolledAt: start, lastSentAt: start, steps: ["b": .sent])
        // Steps reordered so that "a" now comes before the step the lead already got: never sent to it.
        let reordered = campaign([step("a", "0m"), step("b", "0m"), step("c", "0m")])
        #expect(
            planner.plan(campaign: reordered, lead: lead, snapshot: snapshot, now: start).action
                == .send(reordered.steps[2]))
        // The step the lead got was renamed: it is not recognised, but nothing it got is sent again.
        let renamed = campaign([step("b2", "0m"), step("c", "0m")])
        #expect(
            planner.plan(campaign: renamed, lead: lead, snapshot: snapshot, now: start).action
                == .send(renamed.steps[0]))
    }

    @Test func inFlightAndUnknownMessagesHoldTheDrip() {
        let drip = campaign([step("one", "0m"), step("two", "0m")])
        let start = date("2030-01-07T10:00:00Z")
        let unknown = EnrollmentSnapshot(id: 1, campaignID: "c", enrolledAt: start, steps: ["one": .unknown])
        #expect(planner.plan(campaign: drip, lead: lead, snapshot: unknown, now: start).action == .blocked(step: "one"))
        let deferred = EnrollmentSnapshot(
            id: 1, campaignID: "c", enrolledAt: start, steps: ["one": .deferred],
            retryAt: ["one": start.addingTimeInterval(600)])
        #expect(
            planner.plan(campaign: drip, lead: lead, snapshot: deferred, now: start).action
                == .wait(until: start.addingTimeInterval(600), step: "one"))
        #expect(
            planner.plan(campaign: drip, lead: lead, snapshot: deferred, now: start.addingTimeInterval(600)).action
                == .retry(drip.steps[0]))
    }

    @Test func waitUntilUsesTheLeadsDate() {
        let offer = Step(
            id: "offer", timing: .waitUntil(attribute: "trial_ends_at", offset: DripDuration(days: -3)),
            subject: "s", template: "t", location: Self.location)
        let drip = campaign([offer])
        var withDate = lead
        withDate.timeZone = "Europe/Berlin"
        withDate.attributes["trial_ends_at"] = "2030-03-20"
        let snapshot = EnrollmentSnapshot(id: 1, campaignID: "c", enrolledAt: date("2030-03-01T10:00:00Z"))
        // Midnight of 2030-03-17 in Berlin (UTC+1).
        #expect(
            planner.plan(campaign: drip, lead: withDate, snapshot: snapshot, now: date("2030-03-01T10:00:00Z")).action
                == .wait(until: date("2030-03-16T23:00:00Z"), step: "offer"))
        let plan = planner.plan(campaign: drip, lead: lead, snapshot: snapshot, now: date("2030-03-01T10:00:00Z"))
        #expect(plan.skipped.map(\.reason) == ["the lead has no 'trial_ends_at'"])
        #expect(plan.action == .complete)
        // Enrolled after the moment had passed: passed over rather than sent late.
        let lateSnapshot = EnrollmentSnapshot(id: 1, campaignID: "c", enrolledAt: date("2030-03-18T10:00:00Z"))
        #expect(
            planner.plan(campaign: drip, lead: withDate, snapshot: lateSnapshot, now: date("2030-03-18T10:00:00Z"))
                .skipped.count == 1)
        // Issue 10.4: a date typed another way is reported as not a date, never as missing.
        var american = withDate
        american.attributes["trial_ends_at"] = "12/04/2026"
        #expect(
            planner.plan(campaign: drip, lead: american, snapshot: snapshot, now: date("2030-03-01T10:00:00Z")).skipped
                .map(\.reason)
                == ["'trial_ends_at' is not a date: '12/04/2026' (write ISO 8601, like 2030-12-04)"])
    }

    /// Issue 10.4: ISO 8601 dates and date-times, with or without a zone.
    @Test(arguments: [
        ("2030-03-20", "2030-03-19T23:00:00Z"), ("2030-03-20T14:30:00Z", "2030-03-20T14:30:00Z"),
        ("2030-03-20T14:30:00+02:00", "2030-03-20T12:30:00Z"), ("2030-03-20T14:30:00.250Z", "2030-03-20T14:30:00Z"),
        ("2030-03-20T14:30", "2030-03-20T13:30:00Z"), ("2030-03-20 14:30:15", "2030-03-20T13:30:15Z"),
    ])
    func attributeDatesInEveryISOForm(text: String, expected: String) {
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let parsed = AttributeDate.parse(text, zone: berlin)
        #expect(
            parsed.map { $0.timeIntervalSince1970.rounded(.down) } == date(expected).timeIntervalSince1970, "\(text)")
    }

    @Test(arguments: ["12/04/2026", "2030-13-01", "2030-03-20T25:00", "tomorrow", "2030-03-20T14:30:00 CET"])
    func notDates(text: String) {
        #expect(AttributeDate.parse(text, zone: TimeZone(identifier: "UTC")!) == nil)
    }

    /// Issue 10.1: an overdue step (cron stopped for days) waits for the window's next
    /// opening in the lead's zone, whenever the tick runs; a retry too.
    @Test func overdueStepsWaitForTheWindowAtSendTime() {
        let window = SendWindow(
            days: [.mon, .tue, .wed, .thu, .fri], opens: TimeOfDay(hour: 9, minute: 0),
            closes: TimeOfDay(hour: 17, minute: 0))
        let drip = campaign([step("one", "0m"), step("two", "1d")], window: window)
        var losAngeles = lead
        losAngeles.timeZone = "America/Los_Angeles"
        // Step one went Monday 10:00 in LA; two was due Tuesday 10:00. Cron stopped until
        // Friday 03:00 UTC = Thursday 19:00 in LA: closed, so Friday 09:00 LA.
        let monday = date("2030-01-07T18:00:00Z")
        var snapshot = EnrollmentSnapshot(
            id: 1, campaignID: "c", enrolledAt: monday, lastSentAt: monday, steps: ["one": .sent])
        let tick = date("2030-01-11T03:00:00Z")
        #expect(
            planner.plan(campaign: drip, lead: losAngeles, snapshot: snapshot, now: tick).action
                == .wait(until: date("2030-01-11T17:00:00Z"), step: "two"))
        #expect(
            planner.plan(campaign: drip, lead: losAngeles, snapshot: snapshot, now: date("2030-01-11T17:00:00Z")).action
                == .send(drip.steps[1]))
        // The same for a deferred message waiting for its retry.
        snapshot.steps["two"] = .deferred
        snapshot.retryAt["two"] = date("2030-01-08T18:05:00Z")
        #expect(
            planner.plan(campaign: drip, lead: losAngeles, snapshot: snapshot, now: tick).action
                == .wait(until: date("2030-01-11T17:00:00Z"), step: "two"))
    }

    /// Issue 10.1: `max_late` skips a step that is later than that, with the reason.
    @Test func maxLateSkipsWithTheReason() {
        var drip = campaign([step("one", "0m"), step("two", "1d"), step("three", "2d")])
        drip.maxLate = DripDuration(days: 1)
        let monday = date("2030-01-07T10:00:00Z")
        let snapshot = EnrollmentSnapshot(
            id: 1, campaignID: "c", enrolledAt: monday, lastSentAt: monday, steps: ["one": .sent])
        #expect(
            planner.plan(campaign: drip, lead: lead, snapshot: snapshot, now: date("2030-01-09T09:00:00Z")).action
                == .send(drip.steps[1]))
        let plan = planner.plan(campaign: drip, lead: lead, snapshot: snapshot, now: date("2030-01-09T11:00:00Z"))
        #expect(plan.skipped.map(\.reason) == ["more than 1d late (due 2030-01-08 10:00 UTC, max_late 1d)"])
        // The next step counts from the last *sent* step: due Wednesday 10:00, an hour ago.
        #expect(plan.action == .send(drip.steps[2]))
    }

    /// Issue 10.3: a step's history follows `renamed_from`: not resent, and conditions
    /// naming either id see the opens of the old one.
    @Test func historyFollowsRenamedFrom() {
        var story = step("customer-story", "1d")
        story.renamedFrom = "case-study"
        let drip = campaign([
            step("one", "0m"), story, step("three", "1d", if: .opened(step: "case-study")),
            step("four", "0m", if: .opened(step: "customer-story")),
        ])
        let start = date("2030-01-07T10:00:00Z")
        let sentBefore = EnrollmentSnapshot(
            id: 1, campaignID: "c", enrolledAt: start, lastSentAt: start.addingTimeInterval(86_400),
            steps: ["one": .sent, "case-study": .sent], opened: ["case-study"])
        let plan = planner.plan(campaign: drip, lead: lead, snapshot: sentBefore, now: date("2030-01-09T10:00:00Z"))
        #expect(plan.action == .send(drip.steps[2]), "customer-story is behind the lead; three's condition holds")
        var after = sentBefore
        after.steps["three"] = .sent
        #expect(
            planner.plan(campaign: drip, lead: lead, snapshot: after, now: date("2030-01-09T10:00:00Z")).action
                == .send(drip.steps[3]))
    }

    /// Issue 10.2: a reminder before a date of the lead's own is skipped once the date is over.
    @Test func passedDateIsNotNews() {
        let reminder = Step(
            id: "ends-soon", timing: .waitUntil(attribute: "trial_ends_at", offset: DripDuration(days: -2)),
            subject: "s", template: "t", location: Self.location)
        let drip = campaign([reminder])
        var withDate = lead
        withDate.attributes["trial_ends_at"] = "2030-03-20"
        let snapshot = EnrollmentSnapshot(id: 1, campaignID: "c", enrolledAt: date("2030-03-01T10:00:00Z"))
        // Due on the 18th; an outage until the 20th (the last day of the trial): still news.
        #expect(
            planner.plan(campaign: drip, lead: withDate, snapshot: snapshot, now: date("2030-03-20T12:00:00Z")).action
                == .send(reminder))
        // On the 21st the trial is over: skipped, with the reason.
        let plan = planner.plan(campaign: drip, lead: withDate, snapshot: snapshot, now: date("2030-03-21T00:00:00Z"))
        #expect(plan.skipped.map(\.reason) == ["'trial_ends_at' (2030-03-20) has passed"])
        #expect(plan.action == .complete)
    }
}

@Suite struct SendWindowTests {
    let weekdays = SendWindow(
        days: [.mon, .tue, .wed, .thu, .fri], opens: TimeOfDay(hour: 9, minute: 0),
        closes: TimeOfDay(hour: 17, minute: 0))
    let newYork = TimeZone(identifier: "America/New_York")!

    func date(_ iso: String) -> Date { try! Date.ISO8601FormatStyle().parse(iso) }

    /// Issue 4: enrolled on a Saturday in New York, the first step goes Monday 09:00 New York
    /// time, including over the weekends when daylight-saving time starts and ends.
    @Test(arguments: [
        ("2030-01-12T15:00:00Z", "2030-01-14T14:00:00Z"),  // EST all along
        ("2030-03-09T15:00:00Z", "2030-03-11T13:00:00Z"),  // DST starts Sunday 10 March: EDT on Monday
        ("2030-11-02T15:00:00Z", "2030-11-04T14:00:00Z"),  // DST ends Sunday 3 November: EST on Monday
    ])
    func saturdayEnrolmentGoesMondayAtNine(saturday: String, monday: String) {
        let opening = weekdays.nextOpening(atOrAfter: date(saturday), in: newYork)
        #expect(opening == date(monday))
        // And not a minute before.
        #expect(!weekdays.contains(date(monday).addingTimeInterval(-60), in: newYork))
    }

    @Test func insideTheWindowIsNow() {
        let tuesdayNoon = date("2030-01-15T17:00:00Z")
        #expect(weekdays.nextOpening(atOrAfter: tuesdayNoon, in: newYork) == tuesdayNoon)
        // 17:00 sharp is closed: next morning.
        #expect(
            weekdays.nextOpening(atOrAfter: date("2030-01-15T22:00:00Z"), in: newYork) == date("2030-01-16T14:00:00Z"))
    }

    @Test func skipDatesAreJumped() {
        var window = weekdays
        window.skipDates = [LocalDate(year: 2030, month: 12, day: 25), LocalDate(year: 2030, month: 12, day: 26)]
        #expect(
            window.nextOpening(atOrAfter: date("2030-12-24T23:00:00Z"), in: newYork) == date("2030-12-27T14:00:00Z"))
    }

    @Test func daysKeepTheWallClockAcrossDST() {
        // 10:00 in New York on Saturday 9 March 2030, plus 2 days: 10:00 on Monday, an hour less in UTC terms.
        let later = DripDuration(days: 2).added(to: date("2030-03-09T15:00:00Z"), in: newYork)
        #expect(later == date("2030-03-11T14:00:00Z"))
        #expect(
            DripDuration(minutes: 2880).added(to: date("2030-03-09T15:00:00Z"), in: newYork)
                == date("2030-03-11T15:00:00Z"))
    }
}
