/// A place in a user's file, as people count: lines and columns from 1.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// One problem found in a user's files: where, what is wrong, and what would be right.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error
        case warning
    }

    public var location: SourceLocation
    public var severity: Severity
    public var message: String
    /// What would be right, in a sentence; empty when the message says it all.
    public var hint: String

    public init(_ severity: Severity, at location: SourceLocation, _ message: String, hint: String = "") {
        self.location = location
        self.severity = severity
        self.message = message
        self.hint = hint
    }

    public static func error(at location: SourceLocation, _ message: String, hint: String = "") -> Diagnostic {
        Diagnostic(.error, at: location, message, hint: hint)
    }

    public static func warning(at location: SourceLocation, _ message: String, hint: String = "") -> Diagnostic {
        Diagnostic(.warning, at: location, message, hint: hint)
    }

    /// `file:line:column: error: message` (the form compilers use, so editors can jump
    /// to it), with the hint on an indented second line.
    public var description: String {
        var text = "\(location): \(severity.rawValue): \(message)"
        if !hint.isEmpty { text += "\n    hint: \(hint)" }
        return text
    }
}

/// Diagnostics gathered while reading a set of files: reading goes on after an
/// error so that `nurture validate` can report all of them at once.
public struct DiagnosticBag: Sendable {
    public private(set) var all: [Diagnostic] = []

    public init() {}

    public var errors: [Diagnostic] { all.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { all.filter { $0.severity == .warning } }
    public var hasErrors: Bool { all.contains { $0.severity == .error } }

    public mutating func append(_ diagnostic: Diagnostic) { all.append(diagnostic) }
    public mutating func append(contentsOf other: [Diagnostic]) { all.append(contentsOf: other) }

    public mutating func error(at location: SourceLocation, _ message: String, hint: String = "") {
        all.append(.error(at: location, message, hint: hint))
    }

    public mutating func warning(at location: SourceLocation, _ message: String, hint: String = "") {
        all.append(.warning(at: location, message, hint: hint))
    }

    /// In file order, so the output reads top to bottom.
    public var sorted: [Diagnostic] { all.sorted { $0.location < $1.location } }
}
