import Foundation

/// What a source cost (`--costs costs.csv`: `source,amount[,month]`), for cost per lead
/// and per conversion. A month's spend (`2030-01`) counts for the share of its days that
/// the report's period covers.
public struct SourceCost: Sendable, Hashable {
    public var source: String
    public var amount: Double
    /// `YYYY-MM`, or nil for spend not tied to a month.
    public var month: String?

    public init(source: String, amount: Double, month: String? = nil) {
        self.source = source
        self.amount = amount
        self.month = month
    }

    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var line: Int
        public var reason: String
        public var description: String { "costs file, line \(line): \(reason)" }

        public init(line: Int, reason: String) {
            self.line = line
            self.reason = reason
        }
    }

    /// Reads a costs file: a header row naming `source`, `amount` and optionally `month`
    /// (in any order), then one row per spend. Every bad row is an error, by line: a
    /// cost report that silently drops spend would lie.
    public static func parse(_ text: String) throws(Problem) -> [SourceCost] {
        var records: [CSVRecord] = []
        var parser = CSVParser()
        parser.feed(Array(text.utf8)) { records.append($0) }
        parser.finish { records.append($0) }
        guard let header = records.first else {
            throw Problem(line: 1, reason: "the file is empty; it needs a header: source,amount[,month]")
        }
        let names = header.fields.map(LeadCSVMapping.normalize)
        guard let sourceColumn = names.firstIndex(of: "source"), let amountColumn = names.firstIndex(of: "amount")
        else {
            throw Problem(
                line: header.line,
                reason:
                    "the header needs 'source' and 'amount' columns (found: \(header.fields.joined(separator: ", ")))")
        }
        let monthColumn = names.firstIndex(of: "month")
        var costs: [SourceCost] = []
        for record in records.dropFirst() where !(record.fields.count == 1 && record.fields[0].isEmpty) {
            if let problem = record.problem { throw Problem(line: record.line, reason: problem) }
            guard record.fields.count == names.count else {
                throw Problem(
                    line: record.line, reason: "has \(record.fields.count) fields but the header has \(names.count)")
            }
            let source = record.fields[sourceColumn].trimmingCharacters(in: .whitespaces)
            let amountText = record.fields[amountColumn].trimmingCharacters(in: .whitespaces)
            guard !source.isEmpty else { throw Problem(line: record.line, reason: "source is empty") }
            // As fit rules read numbers: `1,200`, `1 200` and `1_200` are 1200.
            guard let amount = FitRule.number(amountText), amount >= 0 else {
                throw Problem(line: record.line, reason: "amount '\(amountText)' is not a number of 0 or more")
            }
            var month: String?
            if let monthColumn {
                let text = record.fields[monthColumn].trimmingCharacters(in: .whitespaces)
                if !text.isEmpty {
                    guard isMonth(text) else {
                        throw Problem(line: record.line, reason: "month '\(text)' is not like 2030-01")
                    }
                    month = text
                }
            }
            costs.append(SourceCost(source: source, amount: amount, month: month))
        }
        return costs
    }

    /// The part of `amount` the days `first...last` (either end open) cover: all of it
    /// for spend not tied to a month; for a month's, its days in the period over the
    /// month's days (a one-day report is charged one day of the month).
    public func amount(from first: LocalDate?, through last: LocalDate?) -> Double {
        guard let month, first != nil || last != nil else { return amount }
        let parts = month.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2 else { return amount }
        let days = LocalDate.daysIn(month: parts[1], year: parts[0])
        let start = max(first ?? .distantPast, LocalDate(year: parts[0], month: parts[1], day: 1))
        let end = min(last ?? .distantFuture, LocalDate(year: parts[0], month: parts[1], day: days))
        guard start <= end else { return 0 }
        return amount * Double(end.day - start.day + 1) / Double(days)
    }

    static func isMonth(_ text: String) -> Bool {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
            let month = Int(parts[1])
        else { return false }
        return year >= 1970 && (1...12).contains(month)
    }
}

extension LocalDate {
    static let distantPast = LocalDate(year: 0, month: 1, day: 1)
    static let distantFuture = LocalDate(year: 9999, month: 12, day: 31)
}
