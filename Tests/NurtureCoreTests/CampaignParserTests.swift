import Foundation
import Testing

@testable import NurtureCore

@Suite struct CampaignParserTests {
    func parse(_ yaml: String, file: String = "campaigns/test.yml") -> (Campaign?, DiagnosticBag) {
        var diagnostics = DiagnosticBag()
        let campaign = CampaignParser(file: file).parse(yaml, into: &diagnostics)
        return (campaign, diagnostics)
    }

    /// Issue 10.7: after a YAML error, the other errors in the same file are still reported,
    /// and an unclosed quote is reported where it opens.
    @Test func errorsPastASyntaxErrorAreStillReported() {
        let (campaign, diagnostics) = parse(
            """
            from: "A <a@b.example>"
            enroll: { tags: [x] }
            name: "unclosed
            colour: blue
            steps:
              - id: s
                wait: 2days
                subject: s
                template: hello
            """)
        #expect(campaign == nil)
        let messages = diagnostics.errors.map(\.description)
        #expect(messages.count == 3, "\(messages)")
        #expect(
            messages.first?.hasPrefix(
                "campaigns/test.yml:3:7: error: YAML syntax: the file ends while scanning a quoted scalar that starts here"
            ) == true)
        #expect(messages.contains { $0.hasPrefix("campaigns/test.yml:4:1: error: unknown key 'colour'") })
        #expect(messages.contains { $0.hasPrefix("campaigns/test.yml:7:11: error: 'wait' is not a duration: '2days'") })
    }

    /// A "billion laughs" file: each level nine aliases of the one before.
    static func aliasBomb(levels: Int, use: (String) -> String) -> String {
        var lines = ["x0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for level in 1...levels {
            lines.append(
                "x\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\n" + use("l\(levels)")
    }

    /// Issue 11.8: alias bombs get a clear error at once, not minutes and gigabytes.
    @Test func aliasBombsAreRefused() throws {
        let asKey = Self.aliasBomb(levels: 8) { "? *\($0)\n: 1\nfrom: a@b.example\n" }
        let (_, keyDiagnostics) = parse(asKey)
        #expect(
            keyDiagnostics.errors.map(\.description).first?.hasPrefix(
                "campaigns/test.yml:10:3: error: an alias cannot be a mapping key") == true,
            "\(keyDiagnostics.errors)")
        let asValue = Self.aliasBomb(levels: 8) { "steps: *\($0)\n" }
        let (_, valueDiagnostics) = parse(asValue)
        #expect(
            valueDiagnostics.errors.map(\.description).first?.hasPrefix(
                "campaigns/test.yml:2:10: error: the file's aliases expand it to more than 100000") == true,
            "\(valueDiagnostics.errors)")
        // A modest use of aliases is fine, and quoted or commented stars are no aliases.
        let (campaign, diagnostics) = parse(
            """
            from: "Ada *not an alias* <ada@acme.example>"  # *nor this
            enroll: { tags: &tags [trial] }
            exit_on: *tags
            steps: [{ id: one, subject: "*star*", template: one }]
            """)
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.errors)")
        #expect(campaign?.exitOn == ["trial"])
    }

    /// Issue 42.6: a double quote in the middle of a word opens no quoted scalar, so it
    /// cannot hide a later alias used as a key from the guard.
    @Test func aStrayQuoteMidWordDoesNotSwitchOffTheGuard() throws {
        let bomb = Self.aliasBomb(levels: 8) { "name: 5\" screens\n? *\($0)\n: 1\nfrom: a@b.example\n" }
        let (_, diagnostics) = parse(bomb)
        #expect(
            diagnostics.errors.map(\.description).first?.hasPrefix(
                "campaigns/test.yml:11:3: error: an alias cannot be a mapping key") == true,
            "\(diagnostics.errors)")
        #expect(YAMLAliasGuard.aliases(in: "name: 5\" screens\nx: *a\n").map(\.line) == [2])
    }

    @Test func readsEveryFieldOfTheFormat() throws {
        let (campaign, diagnostics) = parse(
            """
            id: trial
            name: Trial onboarding
            from: "Ada from Acme <ada@acme.example>"
            reply_to: help@acme.example
            layout: layouts/main
            enroll:
              tags: [trial]
              events: [signed_up]
            exit_on: [purchased]
            send_window:
              days: [mon, tue, wed, thu, fri]
              hours: "09:00-17:00"
              skip_dates: [2030-12-25]
              timezone: America/New_York
            steps:
              - id: welcome
                wait: 0m
                subject: "Welcome, {{first_name}}!"
                template: onboarding/welcome
              - id: tips
                wait: 2d
                subject: Tips
                template: onboarding/tips
                if: { opened: welcome }
              - id: offer
                wait_until: { attribute: trial_ends_at, offset: -3d }
                subject: Offer
                template: onboarding/offer
                layout: none
                if:
                  any:
                    - { score_at_least: 5 }
                    - all: [{ has_tag: vip }, { attribute: { name: plan, equals: pro } }]
                    - { not_clicked: tips }
                else: exit
            """)
        #expect(diagnostics.all.isEmpty, "\(diagnostics.all)")
        let parsed = try #require(campaign)
        #expect(parsed.id == "trial")
        #expect(parsed.from.displayName == "Ada from Acme")
        #expect(parsed.from.address.address == "ada@acme.example")
        #expect(parsed.replyTo?.address.address == "help@acme.example")
        #expect(parsed.enroll == EnrollmentRule(tags: ["trial"], events: ["signed_up"]))
        #expect(parsed.exitOn == ["purchased"])
        let window = try #require(parsed.sendWindow)
        #expect(window.days == [.mon, .tue, .wed, .thu, .fri])
        #expect(window.opens == TimeOfDay(hour: 9, minute: 0))
        #expect(window.closes == TimeOfDay(hour: 17, minute: 0))
        #expect(window.skipDates == [LocalDate(year: 2030, month: 12, day: 25)])
        #expect(window.timeZone == "America/New_York")
        #expect(parsed.steps.map(\.id) == ["welcome", "tips", "offer"])
        #expect(parsed.steps[0].timing == .wait(.zero))
        #expect(parsed.steps[0].layout == "layouts/main")
        #expect(parsed.steps[1].timing == .wait(DripDuration(days: 2)))
        #expect(parsed.steps[1].condition == .opened(step: "welcome"))
        #expect(parsed.steps[1].otherwise == .skip)
        #expect(parsed.steps[2].timing == .waitUntil(attribute: "trial_ends_at", offset: DripDuration(days: -3)))
        #expect(parsed.steps[2].layout == nil)
        #expect(parsed.steps[2].otherwise == .exit)
        #expect(
            parsed.steps[2].condition
                == .any([
                    .scoreAtLeast(5),
                    .all([.hasTag("vip"), .attribute(name: "plan", test: .equals("pro"))]),
                    .notClicked(step: "tips"),
                ]))
    }

    @Test func idDefaultsToTheFileName() throws {
        let (campaign, diagnostics) = parse(
            """
            from: a@b.example
            enroll: { tags: [x] }
            steps: [{ id: one, subject: Hi, template: t }]
            """, file: "campaigns/webinar-follow-up.yml")
        #expect(diagnostics.all.isEmpty)
        #expect(campaign?.id == "webinar-follow-up")
        #expect(campaign?.name == "webinar-follow-up")
    }

    /// The four mistakes of the acceptance test, each at its own line and column.
    @Test func reportsEveryErrorWithItsLineAndColumn() {
        let (campaign, diagnostics) = parse(
            """
            from: "Ada <ada@acme.example>"
            enroll: { tags: [trial] }
            steps:
              - id: welcome
                subjct: "Hi"
                subject: "Hi"
                template: t/a
              - id: welcome
                wait: 2 days
                subject: Again
                template: t/b
            """)
        #expect(campaign == nil)
        let errors = diagnostics.sorted.map { "\($0.location.line):\($0.location.column) \($0.message)" }
        #expect(
            errors == [
                "5:5 unknown key 'subjct' in a step",
                "8:9 step id 'welcome' is used twice (first at line 4)",
                "9:11 'wait' is not a duration: '2 days'",
            ])
        #expect(diagnostics.errors.first?.hint.hasPrefix("did you mean 'subject'?") == true)
    }

    @Test func missingRequiredFieldsAreNamed() {
        let (_, diagnostics) = parse(
            """
            name: x
            steps:
              - wait: 1d
            """)
        let messages = diagnostics.errors.map(\.message)
        #expect(messages.contains("the campaign is missing 'from'"))
        #expect(messages.contains("the campaign is missing 'enroll'"))
        #expect(messages.contains("a step is missing 'id'"))
        #expect(messages.contains("a step is missing 'subject'"))
        #expect(messages.contains("a step is missing 'template'"))
    }

    @Test func conditionsMayOnlyNameEarlierSteps() {
        let (_, diagnostics) = parse(
            """
            from: a@b.example
            enroll: { events: [signed_up] }
            steps:
              - { id: one, subject: s, template: t, if: { opened: two } }
              - { id: two, subject: s, template: t, if: { clicked: two } }
              - { id: three, subject: s, template: t, if: { any: [{ opened: tow }] } }
            """)
        let messages = diagnostics.errors.map(\.message)
        #expect(
            messages == [
                "step 'one' has a condition on step 'two', which comes later",
                "step 'two' has a condition on step 'two', which is the step itself",
                "step 'three' has a condition on step 'tow', which does not exist",
            ])
        #expect(diagnostics.errors.last?.hint.hasPrefix("did you mean 'two'?") == true)
        #expect(diagnostics.errors[0].location.line == 4)
    }

    @Test func windowMistakesAreCaught() {
        let (_, diagnostics) = parse(
            """
            from: a@b.example
            enroll: { tags: [t] }
            send_window:
              days: [mon, tuesday, fryday, no]
              hours: "17:00-09:00"
              skip_dates: [2030-02-30]
              timezone: Europe/Berlim
            steps: [{ id: one, subject: s, template: t }]
            """)
        let found = diagnostics.sorted.map { "\($0.location.line):\($0.location.column) \($0.message)" }
        #expect(
            found == [
                "4:24 'fryday' is not a day of the week",
                "4:32 'no' is not a day of the week",
                "5:10 'hours' must be a range like \"09:00-17:00\", not '17:00-09:00'",
                "6:16 '2030-02-30' is not a date",
                "7:13 unknown time zone 'Europe/Berlim'",
            ])
        #expect(diagnostics.errors[0].hint.hasPrefix("did you mean 'fri'?"))
        #expect(diagnostics.errors.last?.hint.contains("did you mean 'Europe/Berlin'?") == true)
    }

    @Test func malformedAddressesAreErrors() {
        let (_, diagnostics) = parse(
            """
            from: "Ada <ada@@acme.example>"
            reply_to: "help at acme"
            enroll: { tags: [t] }
            steps: [{ id: one, subject: s, template: t }]
            """)
        #expect(diagnostics.errors.map(\.location.line) == [1, 2])
        #expect(diagnostics.errors[0].message.hasPrefix("'from' is not a valid address"))
    }

    @Test func yamlSyntaxErrorsKeepTheirPlace() {
        let (_, diagnostics) = parse(
            """
            from: a@b.example
            steps:
              - id: one
               subject: broken indentation
            """)
        let error = diagnostics.errors.first
        #expect(error?.message.hasPrefix("YAML syntax") == true)
        #expect(error?.location.line == 4)
    }

    @Test func duplicateKeysAreReported() {
        let (_, diagnostics) = parse(
            """
            from: a@b.example
            from: c@d.example
            enroll: { tags: [t] }
            steps: [{ id: one, subject: s, template: t }]
            """)
        #expect(diagnostics.errors.first?.message.contains("'from' appears more than once") == true)
    }

    @Test func waitAndWaitUntilExcludeEachOther() {
        let (_, diagnostics) = parse(
            """
            from: a@b.example
            enroll: { tags: [t] }
            steps: [{ id: one, subject: s, template: t, wait: 1d, wait_until: { attribute: x } }]
            """)
        #expect(diagnostics.errors.map(\.message) == ["step 'one' has both 'wait' and 'wait_until'"])
    }

    @Test func templateNamesCannotLeaveTheTemplatesFolder() {
        let (_, diagnostics) = parse(
            """
            from: a@b.example
            enroll: { tags: [t] }
            steps: [{ id: one, subject: s, template: ../../etc/passwd }]
            """)
        #expect(diagnostics.errors.map(\.message) == ["'../../etc/passwd' is not a valid template name"])
    }
}
