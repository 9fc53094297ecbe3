import Foundation
import Mustache

/// The two parts of a message, each with its own template files and escaping.
public enum TemplatePart: String, Sendable, Hashable, CaseIterable {
    case html
    case text = "txt"

    public var fileExtension: String { "\(rawValue).mustache" }
}

/// Every template under `templates/`, compiled, in two libraries: one of
/// `NAME.html.mustache` files and one of `NAME.txt.mustache` files, both keyed by NAME.
/// A partial `{{> partials/footer}}` therefore resolves to the file of the part being
/// rendered, as PRODUCT.md promises.
public struct TemplateSet: Sendable {
    /// Text parts must not HTML-escape. swift-mustache resets the content type to HTML at
    /// every partial, so each text template starts with this pragma (kept on line 1, so
    /// line numbers in errors stay true).
    static let textPragma = "{{% CONTENT_TYPE: TEXT}}"

    var libraries: [TemplatePart: MustacheLibrary] = [.html: MustacheLibrary(), .text: MustacheLibrary()]
    var outlines: [TemplatePart: [String: TemplateOutline]] = [.html: [:], .text: [:]]
    var sources: [TemplatePart: [String: String]] = [.html: [:], .text: [:]]
    /// The directory as it appears in messages (`templates`).
    public let displayDirectory: String
    /// Plans for rendering many messages fast (see `RenderPlan`); replaced whenever a
    /// template is added, so no plan outlives the templates it was made from.
    private var plans = RenderPlanCache()
    private var plansAllowed = true

    public init(displayDirectory: String = "templates") {
        self.displayDirectory = displayDirectory
    }

    /// Loads every template under `directory`; syntax errors go to `diagnostics` with the
    /// file, line and column, and the broken template is left out.
    public static func load(directory: URL, displayDirectory: String, into diagnostics: inout DiagnosticBag)
        -> TemplateSet
    {
        var set = TemplateSet(displayDirectory: displayDirectory)
        let files = FileManager.default.enumerator(atPath: directory.path)?.compactMap { $0 as? String }.sorted() ?? []
        let root = directory.resolvingSymlinksInPath().path + "/"
        for relative in files {
            guard let part = TemplatePart.allCases.first(where: { relative.hasSuffix(".\($0.fileExtension)") }) else {
                continue
            }
            let name = String(relative.dropLast(part.fileExtension.count + 1))
            let display = "\(displayDirectory)/\(relative)"
            // A link to a file outside templates/ would let a template (shown by preview
            // and serve) read anything: refused, like a name with "..".
            let target = directory.appendingPathComponent(relative).resolvingSymlinksInPath().path
            guard target.hasPrefix(root) else {
                diagnostics.error(
                    at: SourceLocation(file: display, line: 1, column: 1),
                    "the template is a link to \(target), outside \(displayDirectory)/",
                    hint: "copy the file into \(displayDirectory)/ instead of linking to it")
                continue
            }
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(relative).path),
                let source = String(data: data, encoding: .utf8)
            else {
                diagnostics.error(
                    at: SourceLocation(file: display, line: 1, column: 1), "cannot read the template as UTF-8 text")
                continue
            }
            if let error = set.register(source, named: name, part: part, file: display) {
                diagnostics.append(error)
            }
        }
        set.breakPartialCycles(into: &diagnostics)
        return set
    }

    /// Compiles and adds one template; returns the syntax error instead when there is one.
    @discardableResult
    public mutating func register(_ source: String, named name: String, part: TemplatePart, file: String? = nil)
        -> Diagnostic?
    {
        let file = file ?? "\(displayDirectory)/\(name).\(part.fileExtension)"
        do {
            let template = try Self.compile(source, part: part)
            libraries[part]!.register(template, named: name)
            outlines[part]![name] = TemplateOutline(scanning: source)
            sources[part]![name] = source
            plans = RenderPlanCache()
            plansAllowed = plansAllowed && RenderPlan.allows(source: source)
            return nil
        } catch let error as MustacheTemplate.ParserError {
            // The text pragma sits at the start of line 1 and shifts its columns.
            let shift = part == .text && error.context.lineNumber == 1 ? Self.textPragma.count : 0
            let location = SourceLocation(
                file: file, line: error.context.lineNumber, column: max(1, error.context.columnNumber - shift))
            return .error(
                at: location, "template syntax error: \(Self.describe(error.error))",
                hint: "check that every {{#section}} has its {{/section}} and every tag is closed with }}")
        } catch {
            return .error(at: SourceLocation(file: file, line: 1, column: 1), "template syntax error: \(error)")
        }
    }

    static func compile(_ source: String, part: TemplatePart) throws -> MustacheTemplate {
        try MustacheTemplate(string: part == .text ? textPragma + source : source)
    }

    static func describe(_ error: Error) -> String {
        switch error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect: return "a section is closed with a different name than it was opened with"
        case .unfinishedName: return "a tag is not closed or its name is malformed"
        case .expectedSectionEnd: return "a section is opened but never closed"
        case .invalidSetDelimiter: return "a set-delimiter tag is malformed"
        default: return "\(error)"
        }
    }

    public func contains(_ name: String, part: TemplatePart) -> Bool { sources[part]![name] != nil }

    /// The parts that exist for a template name.
    public func parts(of name: String) -> [TemplatePart] { TemplatePart.allCases.filter { contains(name, part: $0) } }

    public func source(_ name: String, part: TemplatePart) -> String? { sources[part]![name] }

    public func outline(_ name: String, part: TemplatePart) -> TemplateOutline? { outlines[part]![name] }

    /// Renders a registered template; nil when there is none of that name and part.
    public func render(_ name: String, part: TemplatePart, context: [String: Any]) -> String? {
        libraries[part]!.render(context, withTemplate: name)
    }

    /// The same output as rendering `context.variables`, from a plan when the template
    /// and the context allow one (the send loop's path: thousands of messages, a few
    /// shapes of context).
    public func render(_ name: String, part: TemplatePart, context: RenderContext) -> String? {
        guard contains(name, part: part) else { return nil }
        if let plan = plan(name, part: part, context: context) { return plan.fill(with: context.values) }
        return render(name, part: part, context: context.variables as [String: Any])
    }

    /// Whether `render(_:part:context:)` takes the fast path for this template and context.
    package func rendersFromPlan(_ name: String, part: TemplatePart, context: RenderContext) -> Bool {
        contains(name, part: part) && plan(name, part: part, context: context) != nil
    }

    private func plan(_ name: String, part: TemplatePart, context: RenderContext) -> RenderPlan? {
        guard plansAllowed, context.plannable else { return nil }
        return plans.plan(name, part: part, context: context) {
            RenderPlan(for: context) { render(name, part: part, context: $0 as [String: Any]) }
        }
    }

    /// Renders a one-off template (a subject line) with this set's partials.
    func render(template: MustacheTemplate, part: TemplatePart, context: [String: Any]) -> String {
        template.render(context, library: libraries[part]!)
    }

    /// The variables `name` renders unconditionally, following partials it always includes.
    public func unconditionalVariables(of name: String, part: TemplatePart) -> Set<String> {
        var seen: Set<String> = []
        var result: Set<String> = []
        var pending = [name]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted, let outline = outlines[part]![next] else { continue }
            result.formUnion(outline.variables.map(\.name))
            pending.append(contentsOf: outline.partials.filter(\.unconditional).map(\.tag.name))
        }
        return result
    }
}
