import Foundation
import NurtureCore
import NurturePostgres
import NurtureStore

/// The stores the conformance suite runs against: every store test that is about the
/// contract (not a dialect's files or locks) takes one of these as its argument.
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// A new, empty store of this kind: a SQLite file in `directory`, or a fresh database
    /// on the test PostgreSQL server.
    public func makeStore(in directory: TemporaryDirectory) async throws -> any Store {
        switch self {
        case .sqlite: return try SQLiteStore(path: directory.url.appendingPathComponent("nurture.sqlite").path)
        case .postgres:
            let url = try PostgresTestServer.start().newDatabase()
            return try await PostgresStore(
                location: PostgresLocation(url: url, passwordAllowed: true, environmentPassword: nil))
        }
    }

    /// What `--db` says for a new, empty store of this kind (for the built binary).
    public func databaseArgument(in directory: TemporaryDirectory) throws -> String {
        switch self {
        case .sqlite: return directory.url.appendingPathComponent("nurture.sqlite").path
        case .postgres: return try PostgresTestServer.start().newDatabase()
        }
    }
}
