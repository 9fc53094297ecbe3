import Yams

/// YAML aliases let a few hundred bytes stand for billions of nodes (the "billion laughs"
/// bomb). Nurture's files have no need for that, so before and after composing a file:
/// an alias may not be a mapping key (Yams hashes keys while composing, which walks the
/// whole expansion), and the expanded file may hold at most `maxNodes` nodes.
enum YAMLAliasGuard {
    static let maxNodes = 100_000

    /// Where an alias (`*name`) is written, and whether it stands as a mapping key.
    struct AliasUse {
        var line: Int
        var column: Int
        var isKey: Bool
    }

    /// The aliases in `text`, found by a small scan that skips quoted scalars and comments.
    /// libyaml's anchor names are letters, digits, '-' and '_'.
    static func aliases(in text: String) -> [AliasUse] {
        let bytes = Array(text.utf8)
        var uses: [AliasUse] = []
        var line = 1
        var lineStart = 0
        var index = 0
        var quote: UInt8?
        func isNameByte(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2D
                || byte == 0x5F
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A {
                line += 1
                lineStart = index + 1
                if quote == nil {
                    index += 1
                    continue
                }
            }
            if let open = quote {
                if byte == open { quote = nil }
                index += 1
                continue
            }
            let previous: UInt8 = index > 0 ? bytes[index - 1] : 0x20
            let atTokenStart = [0x20, 0x09, 0x0A, 0x5B, 0x7B, 0x2C, 0x3A, 0x2D, 0x3F].contains(previous)
            switch byte {
            // Both patterns need their own `where`: one clause binds only to the pattern
            // before it, and a stray `"` mid-word (`5" screens`) must not open a quote.
            case 0x22 where atTokenStart, 0x27 where atTokenStart:  // " or ' opening a quoted scalar
                quote = byte
            case 0x23 where previous == 0x20 || previous == 0x09 || index == lineStart:  // # comment
                while index < bytes.count, bytes[index] != 0x0A { index += 1 }
                continue
            case 0x2A where atTokenStart:  // *alias
                var end = index + 1
                while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
                guard end > index + 1 else { break }
                var after = end
                while after < bytes.count, bytes[after] == 0x20 { after += 1 }
                let colonFollows =
                    after < bytes.count && bytes[after] == 0x3A
                    && (after + 1 == bytes.count || [0x20, 0x0A, 0x0D, 0x09].contains(bytes[after + 1]))
                var before = index - 1
                while before >= lineStart, bytes[before] == 0x20 { before -= 1 }
                let explicitKey = before >= lineStart && bytes[before] == 0x3F
                uses.append(AliasUse(line: line, column: index - lineStart + 1, isKey: colonFollows || explicitKey))
                index = end
                continue
            default:
                break
            }
            index += 1
        }
        return uses
    }

    /// Nodes in the tree with every alias expanded, counted without expanding: a
    /// collection met again (the same mark) counts what it counted the first time. Stops
    /// counting past `limit`.
    static func expandedSize(of root: Node, limit: Int = maxNodes) -> Int {
        struct Key: Hashable {
            var line: Int, column: Int, kind: Int, count: Int
        }
        var memo: [Key: Int] = [:]
        func size(_ node: Node) -> Int {
            let children: [Node]
            let key: Key?
            switch node {
            case .scalar, .alias: return 1
            case .sequence(let sequence):
                children = Array(sequence)
                key = sequence.mark.map { Key(line: $0.line, column: $0.column, kind: 0, count: children.count) }
            case .mapping(let mapping):
                children = mapping.flatMap { [$0.key, $0.value] }
                key = mapping.mark.map { Key(line: $0.line, column: $0.column, kind: 1, count: children.count) }
            }
            if let key, let known = memo[key] { return known }
            var total = 1
            for child in children where total <= limit { total += size(child) }
            if let key { memo[key] = total }
            return total
        }
        return size(root)
    }
}
