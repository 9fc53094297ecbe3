import Foundation
import NurtureCore
import NurtureTestSupport
import Testing

@Suite struct RenderingTests {
    let campaign = Campaign(
        id: "trial", name: "Trial onboarding",
        from: Mailbox(displayName: "Ada", address: try! EmailAddress("ada@acme.example")),
        enroll: EnrollmentRule(tags: ["trial"]), steps: [], file: "campaigns/trial.yml")

    func templates(_ files: [String: String]) throws -> TemplateSet {
        var set = TemplateSet()
        for (file, source) in files {
            let part: TemplatePart = file.hasSuffix(".html.mustache") ? .html : .text
            let name = String(file.dropLast(part.fileExtension.count + 1))
            if let error = set.register(source, named: name, part: part) { Issue.record("\(error)") }
        }
        return set
    }

    func step(_ subject: String = "Hi {{first_name}}", template: String = "welcome", layout: String? = nil) -> Step {
        Step(
            id: "welcome", timing: .wait(.zero), subject: subject, template: template, layout: layout,
            location: SourceLocation(file: "campaigns/trial.yml", line: 1, column: 1))
    }

    func render(_ set: TemplateSet, step: Step, lead: Lead) -> RenderedStep {
        var set = set
        set.register(
            step.subject, named: MessageRenderer.subjectTemplateName(campaign: campaign.id, step: step.id), part: .text)
        return MessageRenderer(templates: set).render(
            campaign: campaign, step: step, lead: lead, unsubscribeURL: "https://t.example/u/x")
    }

    /// Issue 11.8: a partial that includes itself is an error at its tag, and rendering
    /// it (preview, serve) no longer recurses until the stack overflows.
    @Test func recursivePartialsAreRefusedAndNeverRecurse() throws {
        let folder = try TemporaryDirectory("nurture-cycles")
        try folder.write("templates/welcome.html.mustache", "<p>Hi</p>\n{{> partials/a}}\n")
        try folder.write("templates/partials/a.html.mustache", "A\n  {{> partials/b}}")
        try folder.write("templates/partials/b.html.mustache", "B {{#x}}{{> partials/a}}{{/x}}")
        try folder.write("templates/self.txt.mustache", "{{> self}}")
        // Behind changed delimiters too.
        try folder.write("templates/hidden.html.mustache", "{{=<% %>=}}\nHi <% first_name %>\n<%> hidden%>")
        var diagnostics = DiagnosticBag()
        let set = TemplateSet.load(
            directory: folder.url.appendingPathComponent("templates"), displayDirectory: "templates", into: &diagnostics
        )
        let messages = diagnostics.errors.map(\.description)
        #expect(
            messages.contains {
                $0.hasPrefix("templates/partials/b.html.mustache:1:9: ")
                    && $0.contains("partials/a → partials/b → partials/a")
            }, "\(messages)")
        #expect(
            messages.contains { $0.hasPrefix("templates/self.txt.mustache:1:1: ") && $0.contains("includes itself") },
            "\(messages)")
        #expect(
            messages.contains {
                $0.hasPrefix("templates/hidden.html.mustache:3:1: ") && $0.contains("hidden → hidden")
            }, "\(messages)")
        #expect(set.render("hidden", part: .html, context: [:]) == "")
        #expect(set.render("welcome", part: .html, context: ["x": true]) == "<p>Hi</p>\n")
        #expect(set.render("self", part: .text, context: [:]) == "")
    }

    /// Issue 11.10: a template that links outside templates/ is refused, like "..".
    @Test func templateLinkingOutsideTheFolderIsRefused() throws {
        let folder = try TemporaryDirectory("nurture-links")
        try folder.write("secret.txt", "do not show")
        try folder.write("templates/inside.txt.mustache", "fine")
        try FileManager.default.createSymbolicLink(
            atPath: folder.url.appendingPathComponent("templates/leak.txt.mustache").path,
            withDestinationPath: folder.url.appendingPathComponent("secret.txt").path)
        try FileManager.default.createSymbolicLink(
            atPath: folder.url.appendingPathComponent("templates/alias.txt.mustache").path,
            withDestinationPath: "inside.txt.mustache")
        var diagnostics = DiagnosticBag()
        let set = TemplateSet.load(
            directory: folder.url.appendingPathComponent("templates"), displayDirectory: "templates", into: &diagnostics
        )
        #expect(
            diagnostics.errors.map(\.description).contains {
                $0.hasPrefix("templates/leak.txt.mustache:1:1: error: the template is a link to ")
            })
        #expect(diagnostics.errors.count == 1, "a link inside the folder is fine")
        #expect(!set.contains("leak", part: .text))
        #expect(set.render("alias", part: .text, context: [:]) == "fine")
    }

    @Test func htmlEscapesAndTextDoesNot() throws {
        let set = try templates([
            "welcome.html.mustache": "<p>Hi {{first_name}}</p>{{> footer}}",
            "welcome.txt.mustache": "Hi {{first_name}}\n{{> footer}}",
            "footer.html.mustache":
                "<small>{{first_name}} &middot; <a href=\"{{unsubscribe_url}}\">unsubscribe</a></small>",
            "footer.txt.mustache": "-- {{first_name}} {{unsubscribe_url}}",
        ])
        let lead = Lead(email: try EmailAddress("bob@example.com"), firstName: "<b>Bob</b>")
        let rendered = render(set, step: step(), lead: lead)
        #expect(
            rendered.html
                == "<p>Hi &lt;b&gt;Bob&lt;/b&gt;</p><small>&lt;b&gt;Bob&lt;/b&gt; &middot; <a href=\"https://t.example/u/x\">unsubscribe</a></small>"
        )
        // The text part and its partial stay verbatim: a partial must not switch back to HTML escaping.
        #expect(rendered.text == "Hi <b>Bob</b>\n-- <b>Bob</b> https://t.example/u/x")
        #expect(rendered.subject == "Hi <b>Bob</b>")
        #expect(rendered.warnings.isEmpty)
    }

    @Test func missingVariablesRenderEmptyWithAWarning() throws {
        let set = try templates([
            "welcome.txt.mustache": "Tips for {{company}}.{{#plan}} On {{plan}}.{{/plan}}"
        ])
        let lead = Lead(email: try EmailAddress("ann@example.com"))
        let rendered = render(set, step: step("Hello {{first_name}}"), lead: lead)
        #expect(rendered.text == "Tips for .")
        #expect(rendered.subject == "Hello")
        #expect(rendered.html == nil)
        // `plan` sits inside a section: leaving it out is the template's own choice.
        #expect(
            rendered.warnings == [
                "lead ann@example.com has no 'first_name' (used in the subject of step 'welcome'); it renders empty",
                "lead ann@example.com has no 'company' (used in templates/welcome.txt.mustache); it renders empty",
            ])
    }

    @Test func attributesAreVariablesButLeadFieldsWin() throws {
        let set = try templates(["welcome.txt.mustache": "{{company}} {{email}} {{campaign}} {{step}}"])
        let lead = Lead(
            email: try EmailAddress("ann@example.com"), attributes: ["company": "Acme", "email": "spoof@evil.example"])
        #expect(render(set, step: step(), lead: lead).text == "Acme ann@example.com Trial onboarding welcome")
    }

    @Test func layoutWrapsTheBodyOfEachPart() throws {
        let set = try templates([
            "welcome.html.mustache": "<p>{{first_name}}</p>",
            "welcome.txt.mustache": "Hi {{first_name}}",
            "layouts/main.html.mustache": "<body>{{{body}}}<footer>{{email}}</footer></body>",
            "layouts/main.txt.mustache": "{{body}}\n--\n{{email}}",
        ])
        let lead = Lead(email: try EmailAddress("ann@example.com"), firstName: "Ann & Co")
        let rendered = render(set, step: step(layout: "layouts/main"), lead: lead)
        #expect(rendered.html == "<body><p>Ann &amp; Co</p><footer>ann@example.com</footer></body>")
        #expect(rendered.text == "Hi Ann & Co\n--\nann@example.com")
    }

    @Test func subjectsBecomeOneLine() throws {
        let set = try templates(["welcome.txt.mustache": "x"])
        let lead = Lead(email: try EmailAddress("eve@example.com"), firstName: "Eve\r\nBcc: victim@example.org")
        #expect(render(set, step: step(), lead: lead).subject == "Hi Eve Bcc: victim@example.org")
        // Runs of spaces, tabs and spaces at either end are squeezed; a plain subject is kept.
        for (name, subject) in [
            ("Eve", "Hi Eve"), ("  Eve  ", "Hi Eve"), ("Eve\tSmith", "Hi Eve Smith"), ("Eve\u{2028}", "Hi Eve"),
            ("Ève", "Hi Ève"),
        ] {
            let lead = Lead(email: try EmailAddress("eve@example.com"), firstName: name)
            #expect(render(set, step: step(), lead: lead).subject == subject, "\(name)")
        }
    }

    @Test func syntaxErrorsNameLineAndColumn() {
        var set = TemplateSet()
        let html = set.register("<p>\n{{#items}}\n{{name}}\n", named: "list", part: .html)
        #expect(html?.location.line == 4)
        #expect(html?.message == "template syntax error: a section is opened but never closed")
        let text = set.register("Hello {{name", named: "list", part: .text)
        #expect(text?.location == SourceLocation(file: "templates/list.txt.mustache", line: 1, column: 13))
    }

    @Test func outlineFindsUnconditionalVariablesAndPartials() {
        let outline = TemplateOutline(
            scanning: """
                {{! a comment with {{braces}} }}
                Hi {{first_name}} {{{raw}}} {{& amp}} {{company.name}}
                {{#plan}}{{plan}}{{/plan}}{{^vip}}{{upsell}}{{/vip}}
                {{> partials/footer}}
                """)
        #expect(outline.variables.map(\.name) == ["first_name", "raw", "amp", "company"])
        #expect(outline.partials.map(\.tag.name) == ["partials/footer"])
        #expect(outline.partials.first?.tag.line == 4)
    }
}
