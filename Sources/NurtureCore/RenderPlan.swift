import Synchronization

/// The variables of one message, ready for rendering many templates: the send loop
/// renders a subject and two parts from the same variables for every lead.
public struct RenderContext: Sendable {
    public let variables: [String: String]
    /// The variables' values in the order of `shape.names`; a plan refers to a value by
    /// its place here.
    let values: [String]
    /// What a plan depends on besides the templates: which variables are present, and
    /// which end with a line break (the indentation of a standalone partial is added
    /// after a line break at the end of a value).
    let shape: Shape
    /// False when a value could make swift-mustache's output depend on more than the
    /// shape (a carriage return, or a value that is only a line break, can join a line
    /// break before it); such a context is rendered by swift-mustache directly.
    let plannable: Bool

    public init(_ variables: [String: String]) {
        self.variables = variables
        let sorted = variables.sorted { $0.key < $1.key }
        values = sorted.map(\.value)
        shape = Shape(names: sorted.map(\.key), lineBreaks: values.map { $0.utf8.last == 10 })
        plannable = !values.contains { $0.utf8.contains(13) || $0 == "\n" }
    }

    struct Shape: Hashable, Sendable {
        let names: [String]
        let lineBreaks: [Bool]
        /// Hashed once: a message looks its shape up once per template it renders.
        private let hash: Int

        init(names: [String], lineBreaks: [Bool]) {
            self.names = names
            self.lineBreaks = lineBreaks
            var hasher = Hasher()
            hasher.combine(names)
            hasher.combine(lineBreaks)
            hash = hasher.finalize()
        }

        static func == (left: Shape, right: Shape) -> Bool {
            left.hash == right.hash && left.names == right.names && left.lineBreaks == right.lineBreaks
        }

        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    }
}

/// A template's output for one shape of context, as literal text and the places where
/// values go, each escaped for HTML or not. swift-mustache builds it: the template is
/// rendered with marked stand-in values, and the marks are read back from its output,
/// so the plan does what swift-mustache does (sections, inverted sections, partials,
/// layouts, standalone lines, pragmas) without a second Mustache implementation. A
/// second rendering with other stand-ins must match the plan, or there is no plan and
/// swift-mustache renders every message (the same bytes, only slower).
struct RenderPlan: Sendable {
    /// A stretch of swift-mustache's output, as read back from it.
    enum Segment: Sendable {
        case literal(String)
        case value(Int, escaped: Bool)
    }

    /// A stretch of the output as the plan writes it: literal text is a range of
    /// `literals`, so filling copies bytes from one buffer rather than retaining and
    /// releasing some sixty strings per part.
    enum Piece: Sendable {
        case literal(Range<Int>)
        case value(Int, escaped: Bool)
    }

    let pieces: [Piece]
    /// Every literal segment's bytes, one after the other.
    let literals: [UInt8]

    /// Builds the plan with `render` (swift-mustache on a dictionary of stand-ins), or nil.
    init?(for context: RenderContext, render: ([String: String]) -> String?) {
        let first = Self.standIns(context, family: "a")
        guard let output = render(first.variables),
            let segments = Self.read(output, marks: first.marks, lineBreaks: first.lineBreaks)
        else {
            return nil
        }
        var literals: [UInt8] = []
        pieces = segments.map { segment in
            switch segment {
            case .literal(let text):
                let start = literals.count
                literals += text.utf8
                return .literal(start..<literals.count)
            case .value(let index, let escaped):
                return .value(index, escaped: escaped)
            }
        }
        self.literals = literals
        let second = Self.standIns(context, family: "bcd")
        guard let check = render(second.variables), fill(with: second.values) == check else { return nil }
    }

    /// Plans only do what the swift-mustache tags we can check do. A tag that changes
    /// the delimiters, a transform (`uppercased(name)`) or a partial named by a value
    /// (`{{>*name}}`) makes every template of the set render without plans.
    static func allows(source: String) -> Bool {
        var rest = source[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { return true }
            let tag = rest[open.upperBound..<close.lowerBound].drop { $0 == "{" || $0 == " " }
            if tag.hasPrefix("=") || tag.contains("(")
                || (tag.hasPrefix(">") && tag.dropFirst().drop { $0 == " " }.hasPrefix("*"))
            {
                return false
            }
            rest = rest[close.upperBound...]
        }
        return true
    }

    /// The output for `values` (in the context's name order), written straight into the
    /// string's storage at its final size: appended piece by piece, a 6 KB part was
    /// copied over several times, and every append checked the string's capacity, count
    /// and ASCII flag again.
    func fill(with values: [String]) -> String {
        // A value with something to escape is escaped up front (few ever have).
        var escapedValues: [Int: String] = [:]
        var length = literals.count
        for case .value(let index, let escaped) in pieces {
            if escaped, HTMLEntities.needsEscaping(values[index]) {
                let text = escapedValues[index] ?? HTMLEntities.escape(values[index])
                escapedValues[index] = text
                length += text.utf8.count
            } else {
                length += values[index].utf8.count
            }
        }
        return literals.withUnsafeBufferPointer { literals in
            String(unsafeUninitializedCapacity: length) { buffer in
                let out = buffer.baseAddress!
                var at = 0
                for piece in pieces {
                    switch piece {
                    case .literal(let range):
                        (out + at).update(from: literals.baseAddress! + range.lowerBound, count: range.count)
                        at += range.count
                    // HTMLEntities escapes exactly as swift-mustache's `String.htmlEscape`.
                    case .value(let index, let escaped):
                        var text =
                            escaped && !escapedValues.isEmpty ? escapedValues[index] ?? values[index] : values[index]
                        at += text.withUTF8 { bytes in
                            if let source = bytes.baseAddress { (out + at).update(from: source, count: bytes.count) }
                            return bytes.count
                        }
                    }
                }
                return at
            }
        }
    }

    // Stand-ins: U+E000, the family's letters and the value's number, `&` (which
    // shows whether the output escaped it), U+E001, and a line break for a value that
    // ends with one.
    private static let open: Unicode.Scalar = "\u{E000}"
    private static let close: Unicode.Scalar = "\u{E001}"

    private static func standIns(
        _ context: RenderContext, family: String
    ) -> (variables: [String: String], values: [String], marks: [String: Int], lineBreaks: [Bool]) {
        var variables: [String: String] = [:]
        var values: [String] = []
        var marks: [String: Int] = [:]
        let lineBreaks = context.shape.lineBreaks
        for (index, name) in context.shape.names.enumerated() {
            let mark = "\(family)\(index)"
            let standIn = "\(Character(open))\(mark)&\(Character(close))" + (lineBreaks[index] ? "\n" : "")
            variables[name] = standIn
            values.append(standIn)
            marks[mark] = index
        }
        return (variables, values, marks, lineBreaks)
    }

    /// Splits swift-mustache's output at the stand-ins; nil when a mark is not one of
    /// ours or was changed.
    private static func read(_ output: String, marks: [String: Int], lineBreaks: [Bool]) -> [Segment]? {
        var segments: [Segment] = []
        var literal = String.UnicodeScalarView()
        var scalars = output.unicodeScalars[...]
        while let scalar = scalars.popFirst() {
            guard scalar == open else {
                literal.append(scalar)
                continue
            }
            guard let end = scalars.firstIndex(of: close) else { return nil }
            let inside = String(String.UnicodeScalarView(scalars[..<end]))
            scalars = scalars[scalars.index(after: end)...]
            let escaped: Bool
            let mark: Substring
            if inside.hasSuffix("&amp;") {
                (escaped, mark) = (true, inside.dropLast(5))
            } else if inside.hasSuffix("&") {
                (escaped, mark) = (false, inside.dropLast(1))
            } else {
                return nil
            }
            guard let index = marks[String(mark)] else { return nil }
            if !literal.isEmpty { segments.append(.literal(String(literal))) }
            literal = String.UnicodeScalarView()
            segments.append(.value(index, escaped: escaped))
            // A value ending in a line break: the break is part of the stand-in (and of
            // the value).
            if lineBreaks[index] {
                guard scalars.first == "\n" else { return nil }
                scalars = scalars.dropFirst()
            }
        }
        if !literal.isEmpty { segments.append(.literal(String(literal))) }
        return segments
    }
}

/// The plans of one template set, by template, part and shape of context.
final class RenderPlanCache: Sendable {
    private struct Key: Hashable {
        let name: String
        let part: TemplatePart
        let shape: RenderContext.Shape
    }

    /// A set with thousands of shapes (every lead with other attributes) stops planning
    /// new ones rather than grow without bound; those render without a plan (building
    /// one that cannot be kept would cost two renderings instead of one).
    private static let limit = 1024
    private let plans = Mutex<[Key: RenderPlan?]>([:])

    func plan(_ name: String, part: TemplatePart, context: RenderContext, build: () -> RenderPlan?) -> RenderPlan? {
        let key = Key(name: name, part: part, shape: context.shape)
        let (known, full) = plans.withLock { ($0[key], $0.count >= Self.limit) }
        if let known { return known }
        if full { return nil }
        let plan = build()
        plans.withLock { if $0.count < Self.limit { $0[key] = plan } }
        return plan
    }
}
