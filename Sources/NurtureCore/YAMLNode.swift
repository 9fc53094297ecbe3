import Yams

/// A YAML node together with the file it came from, so that everything read from it
/// can say where it was written.
public struct YAMLNode {
    public let node: Node
    public let file: String

    public init(_ node: Node, file: String) {
        self.node = node
        self.file = file
    }

    public var location: SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// The text of a scalar as written (`no` stays the string "no"; YAML 1.1's
    /// booleans are a classic trap in day lists), or nil for a null or a collection.
    public var scalarText: String? {
        guard case .scalar(let scalar) = node else { return nil }
        if scalar.style == .plain, ["", "~", "null", "Null", "NULL"].contains(scalar.string) { return nil }
        return scalar.string
    }

    public var isNull: Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// Key/value pairs in file order, or nil when the node is not a mapping.
    public var pairs: [(key: String, keyNode: YAMLNode, value: YAMLNode)]? {
        guard case .mapping(let mapping) = node else { return nil }
        return mapping.map { pair in
            (pair.key.string ?? "", YAMLNode(pair.key, file: file), YAMLNode(pair.value, file: file))
        }
    }

    /// Items of a sequence, or nil when the node is not a sequence.
    public var items: [YAMLNode]? {
        guard case .sequence(let sequence) = node else { return nil }
        return sequence.map { YAMLNode($0, file: file) }
    }

    /// A word for the kind of node, for messages ("expected a list, found a mapping").
    public var kindName: String {
        switch node {
        case .scalar: return isNull ? "nothing" : "a value"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    /// Parses a whole file. A syntax error becomes a diagnostic at libyaml's mark.
    public static func parse(_ text: String, file: String, into diagnostics: inout DiagnosticBag) -> YAMLNode? {
        let aliases = YAMLAliasGuard.aliases(in: text)
        if let key = aliases.first(where: \.isKey) {
            diagnostics.error(
                at: SourceLocation(file: file, line: key.line, column: key.column), "an alias cannot be a mapping key",
                hint: "write the key out; aliases are for values")
            return nil
        }
        do {
            guard let root = try Yams.compose(yaml: text) else {
                diagnostics.error(
                    at: SourceLocation(file: file, line: 1, column: 1), "the file is empty",
                    hint: "a campaign needs at least 'from', 'enroll' and 'steps'")
                return nil
            }
            if let first = aliases.first, YAMLAliasGuard.expandedSize(of: root) > YAMLAliasGuard.maxNodes {
                diagnostics.error(
                    at: SourceLocation(file: file, line: first.line, column: first.column),
                    "the file's aliases expand it to more than \(YAMLAliasGuard.maxNodes) YAML nodes",
                    hint: "write the values out, or use fewer aliases of aliases")
                return nil
            }
            return YAMLNode(root, file: file)
        } catch let error as YamlError {
            diagnostics.append(Self.diagnostic(for: error, file: file))
            return nil
        } catch {
            diagnostics.error(at: SourceLocation(file: file, line: 1, column: 1), "cannot read YAML: \(error)")
            return nil
        }
    }

    static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        let hint = "check the indentation and quoting around this place; values containing ': ' or '#' need quotes"
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            // Running off the end of the file inside something (an unclosed quote or
            // bracket) is the fault of where that something opened: point there.
            if let context, problem.contains("end of stream") {
                return .error(
                    at: at(context.mark), "YAML syntax: the file ends \(context.text) that starts here",
                    hint: "close the quote or bracket that opens here")
            }
            let during = context.map { " (\($0.text))" } ?? ""
            return .error(at: at(mark), "YAML syntax: \(problem)\(during)", hint: hint)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = Set(duplicates).sorted().map { "'\($0)'" }.joined(separator: ", ")
            return .error(
                at: at(context.mark), "key \(keys) appears more than once in the same mapping",
                hint: "keep one of them; YAML would silently use only the last")
        case .reader(let problem, _, _, _):
            return .error(
                at: SourceLocation(file: file, line: 1, column: 1), "cannot read the file: \(problem)",
                hint: "campaign files must be UTF-8 text")
        default:
            return .error(at: SourceLocation(file: file, line: 1, column: 1), "cannot read YAML: \(error)")
        }
    }
}

/// Reads one YAML mapping key by key, and reports the keys nobody asked for, with a
/// suggestion when a key looks like a typo of an allowed one.
public struct MappingReader {
    public let node: YAMLNode
    private let values: [String: (keyNode: YAMLNode, value: YAMLNode)]
    private let order: [String]

    /// Nil (after recording an error) when `node` is not a mapping.
    public init?(_ node: YAMLNode, what: String, into diagnostics: inout DiagnosticBag) {
        guard let pairs = node.pairs else {
            diagnostics.error(
                at: node.location, "expected \(what) as a mapping of 'key: value' lines, found \(node.kindName)")
            return nil
        }
        self.node = node
        var values: [String: (YAMLNode, YAMLNode)] = [:]
        var order: [String] = []
        for pair in pairs where values[pair.key] == nil {
            values[pair.key] = (pair.keyNode, pair.value)
            order.append(pair.key)
        }
        self.values = values
        self.order = order
    }

    public subscript(key: String) -> YAMLNode? { values[key]?.value }

    public func keyLocation(_ key: String) -> SourceLocation? { values[key]?.keyNode.location }

    public var keys: [String] { order }

    /// Records an error for each key outside `allowed`.
    public func rejectUnknownKeys(allowed: [String], in what: String, into diagnostics: inout DiagnosticBag) {
        for key in order where !allowed.contains(key) {
            let suggestion = Suggestion.didYouMean(key, among: allowed)
            diagnostics.error(
                at: values[key]!.keyNode.location, "unknown key '\(key)' in \(what)",
                hint: "\(suggestion)\(what) takes: \(allowed.joined(separator: ", "))")
        }
    }

    /// A required scalar; records an error when missing or not a plain value.
    public func requiredText(_ key: String, in what: String, hint: String = "", into diagnostics: inout DiagnosticBag)
        -> (text: String, node: YAMLNode)?
    {
        guard let value = self[key], !value.isNull else {
            diagnostics.error(at: node.location, "\(what) is missing '\(key)'", hint: hint)
            return nil
        }
        return text(of: value, key: key, into: &diagnostics)
    }

    /// An optional scalar; nil when absent or null.
    public func optionalText(_ key: String, into diagnostics: inout DiagnosticBag) -> (text: String, node: YAMLNode)? {
        guard let value = self[key], !value.isNull else { return nil }
        return text(of: value, key: key, into: &diagnostics)
    }

    /// An optional true/false (also yes/no, on/off); records an error for anything else.
    public func optionalFlag(_ key: String, into diagnostics: inout DiagnosticBag) -> Bool? {
        guard let value = optionalText(key, into: &diagnostics) else { return nil }
        switch value.text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            diagnostics.error(at: value.node.location, "'\(key)' must be true or false, not '\(value.text)'")
            return nil
        }
    }

    /// A list of scalars; a single scalar counts as a list of one.
    public func textList(_ key: String, into diagnostics: inout DiagnosticBag) -> [(text: String, node: YAMLNode)] {
        guard let value = self[key], !value.isNull else { return [] }
        if let items = value.items {
            return items.compactMap { text(of: $0, key: key, into: &diagnostics) }
        }
        return text(of: value, key: key, into: &diagnostics).map { [$0] } ?? []
    }

    private func text(of value: YAMLNode, key: String, into diagnostics: inout DiagnosticBag)
        -> (text: String, node: YAMLNode)?
    {
        guard let text = value.scalarText else {
            diagnostics.error(at: value.location, "'\(key)' should be a single value, found \(value.kindName)")
            return nil
        }
        return (text, value)
    }
}
