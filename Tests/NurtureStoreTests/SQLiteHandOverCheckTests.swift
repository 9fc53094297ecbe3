import Foundation
import NurtureCore
import NurtureTestSupport
import Testing

@testable import NurtureStore

/// The check the SMTP thread makes right before each MAIL FROM on SQLite
/// (`immediateMailCheck`): it reads one counter (`mail_stops`) and the whole lead, drip and
/// suppression list only when that moved since the message's admission. Each change that
/// can stop an admitted message, committed by another connection (`serve`, `nurture
/// unsubscribe`, `suppress add`, `event`), must move it.
@Suite struct SQLiteHandOverCheckTests {
    let t0 = Date(timeIntervalSince1970: 1_900_000_000)

    /// One admitted message to `ann@acme.example`; its check, and a second store on the
    /// same file standing for another process.
    struct Admitted {
        let check: HandOverCheck
        /// Another store on the same file: another process's writes.
        let other: SQLiteStore
        let claim: Claim
        /// Kept with the rest: the folder goes when this does.
        let directory: TemporaryDirectory
    }

    func admitted() async throws -> Admitted {
        let directory = try TemporaryDirectory()
        try directory.write("templates/a.txt.mustache", "Hi\n{{unsubscribe_url}}\n")
        try directory.write(
            "campaigns/drip.yml",
            """
            from: "Acme <hello@acme.example>"
            enroll: { tags: [trial] }
            exit_on: [purchased]
            steps:
              - { id: one, subject: One, template: a }
            """)
        let path = directory.url.appendingPathComponent("nurture.sqlite").path
        let store = try SQLiteStore(path: path)
        let catalog = directory.loadCatalog()
        _ = try await store.upsertLeads(
            [LeadInput(email: try EmailAddress("ann@acme.example"), tags: ["trial"])], now: t0)
        _ = try await store.enroll(
            campaignID: "drip", rule: catalog.campaigns[0].enrollment(stages: StageRules()), now: t0)
        let due = try await #require(store.dueEnrollments(now: t0, campaigns: ["drip"], limit: 10).first)
        let claim = try await #require(
            store.apply(
                [
                    EnrollmentChange(
                        enrollmentID: due.snapshot.id, outcome: .claim(step: "one", messageID: "m-one", variant: nil))
                ], now: t0
            ).first)
        #expect(try await store.handOver(recording: [], admitting: [claim], now: t0) == [true])
        let check = try #require(store.immediateMailCheck(claim) as HandOverCheck?)
        return Admitted(check: check, other: try SQLiteStore(path: path), claim: claim, directory: directory)
    }

    /// A connection of its own on the test's store file, for what no store method does.
    func raw(_ directory: TemporaryDirectory) throws -> SQLiteConnection {
        try SQLiteConnection(
            path: directory.url.appendingPathComponent("nurture.sqlite").path, busyTimeoutMilliseconds: 1000)
    }

    @Test(arguments: [
        "UPDATE leads SET status = 'bounced'",  // a bounce recorded by the tick itself
        "UPDATE leads SET status = 'complained'",
        "DELETE FROM leads",
    ])
    func aLeadNoLongerActiveOrGoneStopsIt(_ change: String) async throws {
        let a = try await admitted()
        try raw(a.directory).execute(change)
        #expect(try a.check() == false)
    }

    @Test func anAdmittedMessageWithNothingChangedMayGo() async throws {
        let a = try await admitted()
        #expect(try a.check())
        #expect(try a.check(), "asked again, the same answer")
    }

    @Test func anUnsubscribeFromAnotherConnectionStopsIt() async throws {
        let a = try await admitted()
        #expect(try await a.other.unsubscribe(enrollmentID: a.claim.enrollmentID, step: "one", now: t0) != nil)
        #expect(try a.check() == false)
    }

    @Test func aSuppressionAddedAfterTheAdmissionStopsIt() async throws {
        let a = try await admitted()
        _ = try await a.other.suppress(["@acme.example"], reason: "test", now: t0)
        #expect(try a.check() == false)
    }

    @Test func aGoalEventEndingTheDripInFlightStopsIt() async throws {
        let a = try await admitted()
        let converted = try await a.other.recordEvent(
            LeadInput(email: try EmailAddress("ann@acme.example")), name: "purchased", attributes: [:],
            goalCampaigns: ["drip"], now: t0)
        #expect(converted == ["drip"])
        #expect(try a.check() == false)
    }

    /// The counter is what the check trusts while it stands still: a change no trigger
    /// watches (here a hand edit of the message row, which only the tick holding the send
    /// lock ever makes) is not read again. This is the saving the check's comment measures.
    @Test func whileNothingStopsMailOnlyTheCounterIsRead() async throws {
        let a = try await admitted()
        try raw(a.directory).execute("UPDATE messages SET state = 'sent' WHERE id = \(a.claim.rowID)")
        #expect(try a.check(), "the counter did not move: the admission's own check stands")
        #expect(try await a.other.mayStillMail(a.claim) == false, "the full read sees the edit")
    }
}
