import Foundation
import NurtureCore
import Testing

/// The lead side of the store contract: upserts, statuses, attributes and CSV import.
struct LeadFixture {
    let directory: TemporaryDirectory
    let store: any Store
    let now = Date(timeIntervalSince1970: 1_900_000_000)

    init(_ makeStore: StoreFactory) async throws {
        directory = try TemporaryDirectory()
        store = try await makeStore(directory)
    }

    func email(_ text: String) -> EmailAddress { try! EmailAddress(text) }

    func upsertsByEmailCaseInsensitively() async throws {
        let created = try await store.upsertLeads(
            [
                LeadInput(
                    email: email("Ada@Acme.example"), firstName: "Ada", tags: ["trial"],
                    attributes: ["company": "Acme", "plan": "free"]),
                LeadInput(email: email("bob@acme.example")),
            ], now: now)
        #expect(created == UpsertSummary(inserted: 2, updated: 0))

        let later = now.addingTimeInterval(60)
        let updated = try await store.upsertLeads(
            [
                LeadInput(
                    email: email("ada@ACME.example"), lastName: "Lovelace", timeZone: "Europe/London", tags: ["vip"],
                    attributes: ["plan": "pro"])
            ], now: later)
        #expect(updated == UpsertSummary(inserted: 0, updated: 1))
        #expect(try await store.leadCount() == 2)

        let ada = try #require(try await store.lead(email: email("ADA@acme.EXAMPLE")))
        #expect(ada.email.address == "Ada@Acme.example")
        #expect(ada.firstName == "Ada")  // an update without a first name keeps the one stored
        #expect(ada.lastName == "Lovelace")
        #expect(ada.timeZone == "Europe/London")
        #expect(ada.tags == ["trial", "vip"])
        #expect(ada.attributes == ["company": "Acme", "plan": "pro"])
        #expect(ada.status == .active)
        #expect(ada.createdAt == now)
    }

    func importNeverResubscribes() async throws {
        _ = try await store.upsertLeads([LeadInput(email: email("ann@example.com"))], now: now)
        let unsubscribed = try await store.setStatus(.unsubscribed, email: email("ann@example.com"), now: now)
        #expect(unsubscribed?.status == .unsubscribed)
        _ = try await store.upsertLeads(
            [LeadInput(email: email("ann@example.com"), firstName: "Ann", tags: ["trial"])], now: now)
        #expect(try await store.lead(email: email("ann@example.com"))?.status == .unsubscribed)
        #expect(try await store.setStatus(.unsubscribed, email: email("nobody@example.com"), now: now) == nil)
    }

    func attributeValuesAreStoredVerbatim() async throws {
        let tricky = [
            "quote": "say \"hi\"", "sql": "'); DROP TABLE leads; --", "lines": "a\nb\tc\u{1}", "emoji": "Zoë ✓ 🎉",
        ]
        _ = try await store.upsertLeads([LeadInput(email: email("t@example.com"), attributes: tricky)], now: now)
        #expect(try await store.lead(email: email("t@example.com"))?.attributes == tricky)
        #expect(try await store.leadCount() == 1)
    }

    func countsActiveLeadsLackingAVariable() async throws {
        _ = try await store.upsertLeads(
            [
                LeadInput(email: email("a@example.com"), firstName: "A", attributes: ["company": "Acme"]),
                LeadInput(email: email("b@example.com")),
                LeadInput(email: email("c@example.com"), attributes: ["company": "Initech"]),
                LeadInput(email: email("d@example.com")),
            ], now: now)
        _ = try await store.setStatus(.bounced, email: email("d@example.com"), now: now)
        #expect(try await store.countActiveLeads(lacking: "company") == 1)
        #expect(try await store.countActiveLeads(lacking: "first_name") == 2)
        #expect(try await store.countActiveLeads(lacking: "weird\" key") == 3)
    }

    /// Issue 3's acceptance test: line 3 has a malformed email, line 5 an empty one.
    func badRowsAreReportedByLineAndTheRestImports() async throws {
        let csv = """
            email,first_name,company,tags
            ada@acme.example,Ada,Acme,trial
            not-an-email,Bob,Initech,trial
            "grace@navy.example","Grace","Navy, Labs",trial;vip
            ,Nobody,Ghost,trial
            alan@bletchley.example,Alan,,
            """
        var rejections: [LeadCSVMapping.Rejection] = []
        var chunks = [Array(csv.utf8)]
        let summary = try await LeadImporter(extraTags: ["imported"]).run(
            nextChunk: { chunks.popLast() }, store: store, now: now,
            onRejection: { rejections.append($0) })
        #expect(rejections.map(\.line) == [3, 5])
        #expect(rejections[0].reason.hasPrefix("email 'not-an-email' is malformed"))
        #expect(rejections[1].reason == "email is empty")
        #expect(summary.rows == 5)
        #expect(summary.inserted == 3)
        #expect(summary.rejected == 2)
        let grace = try #require(try await store.lead(email: try EmailAddress("grace@navy.example")))
        #expect(grace.attributes["company"] == "Navy, Labs")
        #expect(grace.tags == ["imported", "trial", "vip"])
        #expect(try await store.lead(email: try EmailAddress("alan@bletchley.example"))?.attributes == [:])
    }

    func importsInBatchesAcrossChunks() async throws {
        var csv = "email,n\n"
        for index in 0..<5_000 { csv += "lead\(index)@example.com,\(index)\n" }
        var bytes = Array(csv.utf8)[...]
        var importer = LeadImporter()
        importer.batchSize = 700
        let summary = try await importer.run(
            nextChunk: {
                guard !bytes.isEmpty else { return nil }
                let chunk = Array(bytes.prefix(4093))
                bytes = bytes.dropFirst(4093)
                return chunk
            }, store: store, now: now, onRejection: { Issue.record("unexpected rejection \($0)") })
        #expect(summary.inserted == 5_000)
        #expect(try await store.leadCount() == 5_000)
        #expect(try await store.lead(email: try EmailAddress("lead4999@example.com"))?.attributes == ["n": "4999"])
        // Again, with a new lead and one twice in two spellings: counted once as new, and
        // every known one as updated, whatever rows other tables got in between.
        _ = try await store.recordEvent(
            LeadInput(email: try EmailAddress("lead1@example.com")), name: "x", attributes: [:], goalCampaigns: [],
            now: now)
        let again = try await store.upsertLeads(
            [
                LeadInput(email: try EmailAddress("lead1@example.com")),
                LeadInput(email: try EmailAddress("new@example.com"), tags: ["a", "a"]),
                LeadInput(email: try EmailAddress("NEW@example.com"), tags: ["b"]),
            ], now: now)
        #expect(again.inserted == 1 && again.updated == 2)
        #expect(try await store.lead(email: try EmailAddress("new@example.com"))?.tags == ["a", "b"])
    }

    /// A batch writes many tag rows per statement: every one arrives, whatever the
    /// batch's size against the rows a statement holds, and a tag a lead already has is
    /// kept once. Enrolment then finds each tag's leads, including those a later batch
    /// tagged, and no lead twice.
    func everyTagOfALargeBatchIsWritten() async throws {
        let first = (0..<150).map { index in
            LeadInput(email: email("lead\(index)@example.com"), tags: ["all", "group\(index % 3)"])
        }
        #expect(try await store.upsertLeads(first, now: now) == UpsertSummary(inserted: 150, updated: 0))
        #expect(try await store.enroll(campaignID: "everyone", rule: EnrollmentRule(tags: ["all"]), now: now) == 150)
        #expect(try await store.enroll(campaignID: "group1", rule: EnrollmentRule(tags: ["group1"]), now: now) == 50)

        // Known leads again, with a tag they have and one they do not; and 7 new ones.
        let second = (100..<157).map { index in
            LeadInput(email: email("lead\(index)@example.com"), tags: ["group\(index % 3)", "late"])
        }
        #expect(try await store.upsertLeads(second, now: now) == UpsertSummary(inserted: 7, updated: 50))
        let lead101 = try #require(try await store.lead(email: email("lead101@example.com")))
        #expect(lead101.tags == ["all", "group2", "late"])
        #expect(try await store.lead(email: email("lead156@example.com"))?.tags == ["group0", "late"])
        #expect(
            try await store.enroll(campaignID: "group1", rule: EnrollmentRule(tags: ["group1"]), now: now) == 2,
            "leads 151 and 154")
        #expect(
            try await store.enroll(campaignID: "late", rule: EnrollmentRule(tags: ["late", "all"]), now: now) == 157)
        #expect(try await store.enroll(campaignID: "everyone", rule: EnrollmentRule(tags: ["all"]), now: now) == 0)
    }

    func anUnusableHeaderImportsNothing() async throws {
        var chunks = [Array("name,company\nAda,Acme\n".utf8)]
        await #expect(throws: LeadCSVMapping.HeaderProblem.self) {
            _ = try await LeadImporter().run(
                nextChunk: { chunks.popLast() }, store: store, now: now, onRejection: { _ in })
        }
        #expect(try await store.leadCount() == 0)
    }
}

extension LeadFixture {
    /// Issue 14.3: a lead keeps the source of its first capture, all three parts of it.
    func theFirstTouchIsKept() async throws {
        let ads = LeadSource(source: "ads", medium: "cpc", campaign: "spring")
        _ = try await store.upsertLeads(
            [
                LeadInput(email: email("ann@acme.example"), source: ads),
                // The same lead, later in the batch.
                LeadInput(email: email("ANN@acme.example"), source: LeadSource(source: "partner")),
                LeadInput(email: email("bob@acme.example")),
            ], now: now)
        _ = try await store.upsertLeads(
            [
                LeadInput(email: email("ann@acme.example"), source: LeadSource(source: "webinar", medium: "event")),
                LeadInput(email: email("bob@acme.example"), source: LeadSource(source: nil, medium: "email")),
            ], now: now)
        #expect(
            try await store.addLeadIfNew(
                LeadInput(email: email("ann@acme.example"), source: LeadSource(source: "form")), now: now) == false)
        #expect(
            try await store.addLeadIfNew(
                LeadInput(email: email("cy@acme.example"), source: LeadSource(source: "form")), now: now))
        #expect(try await store.lead(email: email("ann@acme.example"))?.source == ads)
        #expect(
            try await store.lead(email: email("bob@acme.example"))?.source == LeadSource(source: nil, medium: "email"),
            "no source yet: the first one given")
        #expect(
            try await store.leads(matching: LeadFilter(), after: 0, limit: 10).map(\.source?.source) == [
                "ads", nil, "form",
            ])
    }

    static let checks = [
        ConformanceCheck("the first touch is kept") { try await LeadFixture($0).theFirstTouchIsKept() },
        ConformanceCheck("pending subscriptions become leads only when confirmed") {
            try await LeadFixture($0).pendingSubscriptionsBecomeLeadsOnlyWhenConfirmed()
        },
        ConformanceCheck("upserts by email, case-insensitively") {
            try await LeadFixture($0).upsertsByEmailCaseInsensitively()
        },
        ConformanceCheck("an import never resubscribes") { try await LeadFixture($0).importNeverResubscribes() },
        ConformanceCheck("attribute values are stored verbatim") {
            try await LeadFixture($0).attributeValuesAreStoredVerbatim()
        },
        ConformanceCheck("counts active leads lacking a variable") {
            try await LeadFixture($0).countsActiveLeadsLackingAVariable()
        },
        ConformanceCheck("bad CSV rows are reported by line and the rest imports") {
            try await LeadFixture($0).badRowsAreReportedByLineAndTheRestImports()
        },
        ConformanceCheck("imports in batches across chunks") {
            try await LeadFixture($0).importsInBatchesAcrossChunks()
        },
        ConformanceCheck("every tag of a large batch is written") {
            try await LeadFixture($0).everyTagOfALargeBatchIsWritten()
        },
        ConformanceCheck("an unusable header imports nothing") {
            try await LeadFixture($0).anUnusableHeaderImportsNothing()
        },
    ]
}

extension LeadFixture {
    /// Issue 14.4: a pending subscription is no lead until confirmed, once, with its consent.
    func pendingSubscriptionsBecomeLeadsOnlyWhenConfirmed() async throws {
        let zoe = LeadInput(
            email: email("zoe@example.com"), firstName: "Zoe", tags: ["trial"], source: LeadSource(source: "ads"))
        try await store.requestSubscription(zoe, now: now)
        let pending = try #require(try await store.confirmationsDue(limit: 10).first)
        #expect(pending.input.firstName == "Zoe" && pending.input.tags == ["trial"])
        #expect(try await store.lead(email: email("zoe@example.com")) == nil)
        try await store.markConfirmationSent(id: pending.id, now: now)
        try await store.requestSubscription(zoe, now: now.addingTimeInterval(600))
        #expect(try await store.confirmationsDue(limit: 10).isEmpty, "no second mail within the hour")
        // Issue 41.7: a later request, whoever sends it, rewrites nothing of the first.
        try await store.requestSubscription(
            LeadInput(email: email("zoe@example.com"), firstName: "Mallory"), now: now.addingTimeInterval(3600))
        let again = try #require(try await store.confirmationsDue(limit: 10).first)
        #expect(again.id == pending.id && again.requestedAt == pending.requestedAt, "the same link stays good")
        #expect(again.input.firstName == "Zoe")
        #expect(
            try await store.confirmSubscription(
                id: pending.id, requestedAt: now.addingTimeInterval(1), ip: "192.0.2.7", now: now) == nil,
            "a token naming another request confirms nothing")

        #expect(
            try await store.confirmSubscription(
                id: pending.id, requestedAt: pending.requestedAt, ip: "192.0.2.7", now: now.addingTimeInterval(60))?
                .address
                == "zoe@example.com")
        let lead = try #require(try await store.lead(email: email("zoe@example.com")))
        #expect(
            lead.status == .active && lead.tags == ["trial"] && lead.firstName == "Zoe" && lead.source?.source == "ads")
        let consent = try await store.timeline(email: email("zoe@example.com"))?.events
        #expect(
            consent == [
                LeadTimeline.Event(
                    name: "subscription_confirmed", at: now.addingTimeInterval(60), attributes: ["ip": "192.0.2.7"])
            ])
        #expect(
            try await store.confirmSubscription(id: pending.id, requestedAt: pending.requestedAt, ip: nil, now: now)
                == nil, "once")
        try await store.requestSubscription(zoe, now: now)
        #expect(try await store.confirmationsDue(limit: 10).isEmpty, "a lead already: nothing to confirm")

        try await store.requestSubscription(LeadInput(email: email("old@example.com")), now: now)
        try await store.requestSubscription(
            LeadInput(email: email("new@example.com")), now: now.addingTimeInterval(86_400))
        #expect(try await store.forgetPendingSubscriptions(before: now.addingTimeInterval(3600)) == 1)
        #expect(try await store.leadCount() == 1)
    }
}
