import Foundation
import NurtureCore

extension Settings {
    /// `subscribe.fields`: names of form fields kept as attributes (`timezone`: the time
    /// zone). Each must be a valid attribute name and not one the form reads itself.
    static func readCaptureFields(_ subscribe: MappingReader, _ diagnostics: inout DiagnosticBag) -> CaptureFields {
        var names: [String] = []
        for field in subscribe.textList("fields", into: &diagnostics) {
            if CaptureFields.reserved.contains(field.text) {
                diagnostics.error(
                    at: field.node.location, "'\(field.text)' is a field the form reads itself, not an attribute",
                    hint: "list only extra fields, like fields: [company, title, employees, timezone]")
            } else if !CampaignParser.isIdentifier(field.text) {
                diagnostics.error(
                    at: field.node.location, "'\(field.text)' is not a valid field name",
                    hint: CampaignParser.identifierHint)
            } else if !names.contains(field.text) {
                names.append(field.text)
            }
        }
        return CaptureFields(names)
    }
}
