import Foundation
import NurtureCore

/// What the report formats share: aligned tables for people, JSON for tools.
enum TextOutput {
    /// Rows as lines, each column as wide as its widest cell plus two spaces (the last
    /// column as it is), with no trailing spaces.
    static func table(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                line +=
                    column == row.count - 1
                    ? cell : cell.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0)
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    /// Pretty, sorted JSON (slashes left as they are: URLs stay readable).
    static func json(_ object: Any) -> String {
        let data =
            (try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
