import Mustache

extension TemplateSet {
    /// A partial that includes itself, directly or through others, would recurse until the
    /// stack overflows (swift-mustache has no depth limit). Each such cycle is an error at
    /// the tag that closes it, and every template on a cycle is replaced by an empty one,
    /// so `preview`, `serve` and anything else that renders never recurse.
    mutating func breakPartialCycles(into diagnostics: inout DiagnosticBag) {
        for part in TemplatePart.allCases {
            for cycle in partialCycles(part: part) {
                let (from, tag) = cycle.closing
                diagnostics.error(
                    at: SourceLocation(
                        file: "\(displayDirectory)/\(from).\(part.fileExtension)", line: tag.line, column: tag.column),
                    "partial '\(tag.name)' includes itself: \((cycle.path + [tag.name]).joined(separator: " → "))",
                    hint: "a partial cannot include itself, directly or through another partial")
                for name in cycle.path {
                    libraries[part]!.register(try! Self.compile("", part: part), named: name)
                }
            }
        }
    }

    /// The cycles among partials of one part, each as the path of template names and
    /// the tag (in the path's last template) that leads back to its first.
    func partialCycles(part: TemplatePart) -> [(path: [String], closing: (from: String, tag: TemplateOutline.Tag))] {
        let outlines = self.outlines[part]!
        var state: [String: Bool] = [:]  // false: on the current path; true: done
        var path: [String] = []
        var cycles: [(path: [String], closing: (from: String, tag: TemplateOutline.Tag))] = []
        func visit(_ name: String) {
            state[name] = false
            path.append(name)
            for (tag, _) in outlines[name]?.partials ?? [] where outlines[tag.name] != nil {
                switch state[tag.name] {
                case nil: visit(tag.name)
                case false?:
                    let start = path.firstIndex(of: tag.name)!
                    cycles.append((Array(path[start...]), (name, tag)))
                case true?: break
                }
            }
            path.removeLast()
            state[name] = true
        }
        for name in outlines.keys.sorted() where state[name] == nil { visit(name) }
        return cycles
    }
}
