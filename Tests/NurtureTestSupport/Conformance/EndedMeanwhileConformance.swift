import Foundation
import NurtureCore
import Testing

/// Issue 42.1: an enrolment that ends (a goal event) while its last message is on the
/// wire. The message is recorded sent; the enrolment stays as the goal ended it, never
/// "completed" over it; the report counts both.
struct EndedMeanwhileFixture {
    let project: DripProject
    var store: any Store { project.store }
    let t0 = DripProject.t0

    init(_ makeStore: StoreFactory) async throws {
        project = try await DripProject(
            drip: makeStore, exitOn: ["purchased"], steps: ["{ id: only, subject: Only, template: a }"])
    }

    func anEnrolmentEndedWhileItsLastMessageWasSentStaysEnded() async throws {
        let ann = try EmailAddress("ann@acme.example")
        _ = try await store.upsertLeads([LeadInput(email: ann, tags: ["trial"])], now: t0)
        let transport = GoalDuringDelivery(store: store, lead: ann, at: t0)
        let loop = project.sendLoop(transport)
        let summary = try await loop.tick(now: t0)
        #expect(summary.sent == 1)
        let timeline = try #require(try await store.timeline(email: ann))
        let enrollment = try #require(timeline.enrollments.first)
        #expect(
            enrollment.state == "converted",
            "the goal's ending stands: \(enrollment.state), \(enrollment.endReason ?? "-")")
        #expect(enrollment.endReason?.contains("purchased") == true, "\(enrollment.endReason ?? "-")")
        #expect(timeline.messages.map(\.state) == [.sent])
        let report = try await store.report(campaignID: "drip", stepOrder: ["only"])
        #expect(report.steps.first?.sent == 1 && report.converted == 1 && report.completed == 0, "\(report)")
        // Nothing is due for the ended enrolment.
        #expect(try await store.countDue(now: t0.addingTimeInterval(86_400), campaigns: ["drip"]) == 0)
    }

    /// Delivers, after recording the lead's goal event, as a purchase arriving through
    /// `nurture event` while the message is with the server would.
    final class GoalDuringDelivery: Transport, @unchecked Sendable {
        let store: any Store
        let lead: EmailAddress
        let at: Date

        init(store: any Store, lead: EmailAddress, at: Date) {
            self.store = store
            self.lead = lead
            self.at = at
        }

        var name: String { "goal-during-delivery" }

        func deliver(_ message: OutgoingMessage) async -> DeliveryResult {
            _ = try? await store.recordEvent(
                LeadInput(email: lead), name: "purchased", attributes: [:], goalCampaigns: ["drip"], now: at)
            return .delivered
        }

        func wasDelivered(messageID: String) async -> Bool? { nil }
    }

    static let checks = [
        ConformanceCheck("an enrolment ended while its last message was sent stays ended") {
            try await EndedMeanwhileFixture($0).anEnrolmentEndedWhileItsLastMessageWasSentStaysEnded()
        }
    ]
}
