import Foundation
import NurtureCore
import NurtureStore
import NurtureTestSupport
import Testing

/// What only the SQLite store has: its file, its migrations, its permissions.
@Suite struct SQLiteFileTests {
    let now = Date(timeIntervalSince1970: 1_900_000_000)

    func email(_ text: String) -> EmailAddress { try! EmailAddress(text) }

    @Test func createsTheSchemaOnFirstUseAndReopens() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("nurture.sqlite").path
        let first = try SQLiteStore(path: path)
        #expect(try await first.schemaVersion() >= 1)
        _ = try await first.upsertLeads([LeadInput(email: email("ada@acme.example"))], now: now)
        // Opening again runs no migration twice and keeps the data.
        let second = try SQLiteStore(path: path)
        #expect(try await second.leadCount() == 1)
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    /// Issue 11.10: the store (every lead and the link secret) and its WAL are the
    /// owner's only. Issue 11.9: a lead twice in one batch is one new lead.
    @Test func storeFilesArePrivateAndACaseDuplicateIsNewOnce() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("private.sqlite").path
        let store = try SQLiteStore(path: path)
        let summary = try await store.upsertLeads(
            [LeadInput(email: email("Ann@example.com")), LeadInput(email: email("ann@EXAMPLE.com"))], now: now)
        #expect(summary == UpsertSummary(inserted: 1, updated: 1))
        for file in [path, path + "-wal", path + "-shm"] {
            let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file): \(String(mode ?? 0, radix: 8))")
        }
    }
}
