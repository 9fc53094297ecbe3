import Foundation
import Testing

@testable import NurtureStore

/// `SQLiteConnection.prepare` finds a cached statement by where its SQL text lives
/// before it hashes the text: whatever string holds a text, it must get that text's
/// statement, and never another's.
@Suite struct SQLiteStatementCacheTests {
    @Test func aTextGetsItsOwnStatementWhereverItLives() throws {
        let (directory, connection) = try SQLiteSchemaCostTests.newStore()
        defer { _ = directory }
        let literal = try connection.prepare("SELECT 1 AS one, 'a text longer than a small string'")
        // The same text, built at run time: another address, the same statement.
        let built = try connection.prepare(
            ["SELECT 1 AS one,", "'a text longer than a small string'"].joined(separator: " "))
        #expect(literal === built)
        // Many texts built at run time, short ones among them (a small string lends its
        // bytes from a temporary copy, at the same address for every text), and more
        // than the 256 the address map keeps before it starts over.
        for round in 0..<3 {
            for number in 0..<600 {
                let text =
                    number.isMultiple(of: 2)
                    ? "SELECT \(number)" : "SELECT \(number) AS n, 'round \(round), past the small-string size'"
                var value: Int64 = -1
                try connection.prepare(text).rows { value = $0.integer(0) }
                #expect(value == Int64(number), "\(text)")
            }
        }
    }
}
