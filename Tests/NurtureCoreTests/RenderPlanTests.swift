import Foundation
import NurtureCore
import NurtureTestSupport
import Testing

/// The send loop renders from plans (`RenderPlan`); swift-mustache is the reference.
/// Every check compares the two outputs for the same template and variables.
@Suite struct RenderPlanTests {
    /// Values that exercise escaping, line breaks, combining marks and the plans' marks.
    static let values = [
        "Ann", "Acme & <Sons> \"Q\" 'x'", "e\u{301}&\u{301}x", "CTO\n", "two\nlines", "\n", "a\r\nb",
        "\u{E000}a0&\u{E001}",
        "&amp;", "Zoë 🎉", "  spaced  ", "{{first_name}}",
    ]
    static let names = ["first_name", "last_name", "company", "title", "plan", "email", "unsubscribe_url"]

    /// Random variables from `values` (some names missing), the same every run.
    static func contexts(count: Int) -> [[String: String]] {
        var generator = SeededGenerator(seed: 13)
        return (0..<count).map { _ in
            var variables: [String: String] = [:]
            for name in names where Int.random(in: 0..<4, using: &generator) > 0 {
                variables[name] = values.randomElement(using: &generator)!
            }
            return variables
        }
    }

    func templates(_ write: (TemporaryDirectory) throws -> Void) throws -> TemplateSet {
        let directory = try TemporaryDirectory()
        try write(directory)
        return directory.loadCatalog().templates
    }

    func expectSameOutput(_ templates: TemplateSet, _ name: String, part: TemplatePart, contexts: [[String: String]]) {
        for variables in contexts {
            let reference = templates.render(name, part: part, context: variables as [String: Any])
            let planned = templates.render(name, part: part, context: RenderContext(variables))
            #expect(planned == reference, "\(name).\(part.rawValue) with \(variables)")
        }
    }

    @Test func plansRenderWhatSwiftMustacheRendersForEveryFeature() throws {
        let set = try templates(GoldenMessageTests.writeFeatureProject)
        let contexts = Self.contexts(count: 300)
        for name in ["mail", "partials/box", "layouts/frame", "plain"] {
            for part in set.parts(of: name) { expectSameOutput(set, name, part: part, contexts: contexts) }
        }
        // The fast path is taken for ordinary values, and not for a carriage return.
        #expect(
            set.rendersFromPlan("mail", part: .html, context: RenderContext(["first_name": "Ann", "title": "CTO\n"])))
        #expect(set.rendersFromPlan("mail", part: .text, context: RenderContext(["company": "Acme"])))
        #expect(!set.rendersFromPlan("mail", part: .html, context: RenderContext(["company": "a\r\nb"])))
    }

    @Test func theExampleTemplatesRenderFromPlans() throws {
        let set = try templates { try Repository.copyExample(into: $0) }
        let contexts = Self.contexts(count: 100)
        for name in ["onboarding/welcome", "onboarding/tips", "layouts/acme", "partials/footer"] {
            for part in set.parts(of: name) { expectSameOutput(set, name, part: part, contexts: contexts) }
            #expect(
                set.rendersFromPlan(
                    name, part: .html,
                    context: RenderContext(["first_name": "Ann", "company": "Acme", "body": "<p>x</p>\n"])))
        }
    }

    /// Leads with ever new sets of attributes (each its own shape) fill the plans up to a
    /// bound; past it, new shapes render directly, with the same output.
    @Test func plansAreBoundedAndPastTheBoundOutputIsUnchanged() throws {
        let set = try templates { try $0.write("templates/t.html.mustache", "<p>{{first_name}} & {{company}}</p>") }
        for index in 0..<1_100 {
            let variables = ["first_name": "A<\(index)", "company": "C", "extra\(index)": "x"]
            #expect(
                set.render("t", part: .html, context: RenderContext(variables))
                    == set.render("t", part: .html, context: variables as [String: Any]))
        }
        #expect(
            !set.rendersFromPlan("t", part: .html, context: RenderContext(["first_name": "A", "new": "shape"])),
            "past the bound")
        #expect(
            set.rendersFromPlan(
                "t", part: .html, context: RenderContext(["first_name": "B", "company": "C", "extra5": "y"])),
            "a known shape")
    }

    /// Tags whose output a plan cannot check (a transform of the value, a partial named
    /// by a value, other delimiters) turn plans off for the whole set; output unchanged.
    @Test(arguments: [
        "{{uppercased(first_name)}}!", "{{=<% %>=}}<% first_name %> <%# company %>at <% company %><%/ company %>",
        "{{>*company}}.",
    ])
    func tagsAPlanCannotCheckRenderWithoutPlans(_ source: String) throws {
        let set = try templates {
            try $0.write("templates/t.html.mustache", source)
            try $0.write("templates/Acme.html.mustache", "partial for {{first_name}}")
        }
        #expect(!set.rendersFromPlan("t", part: .html, context: RenderContext(["first_name": "ann"])))
        expectSameOutput(
            set, "t", part: .html, contexts: [["first_name": "ann", "company": "Acme"], ["first_name": "bob"]])
    }
}

/// A small deterministic generator (SplitMix64), so the random contexts are the same in every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
