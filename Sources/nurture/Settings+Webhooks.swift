import Foundation
import NurtureCore

extension Settings {
    /// `webhooks:`: a list of `{ url, events }`.
    static func readWebhooks(_ node: YAMLNode, _ diagnostics: inout DiagnosticBag) -> [WebhookRule] {
        let example = "like - { url: https://crm.example/hooks/nurture, events: [mql, purchased] }"
        guard let items = node.items else {
            diagnostics.error(at: node.location, "'webhooks' takes a list, found \(node.kindName)", hint: example)
            return []
        }
        return items.compactMap { item -> WebhookRule? in
            guard let map = MappingReader(item, what: "a webhook", into: &diagnostics) else { return nil }
            map.rejectUnknownKeys(allowed: ["url", "events"], in: "a webhook", into: &diagnostics)
            guard let url = map.requiredText("url", in: "a webhook", hint: example, into: &diagnostics) else {
                return nil
            }
            guard let parsed = URLComponents(string: url.text),
                ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                parsed.host.map({ !$0.isEmpty }) ?? false, parsed.user == nil, parsed.password == nil
            else {
                diagnostics.error(
                    at: url.node.location,
                    "a webhook's url must be http:// or https:// with a host and no password, not '\(url.text)'",
                    hint: example)
                return nil
            }
            let events = map.textList("events", into: &diagnostics)
            guard !events.isEmpty else {
                diagnostics.error(at: item.location, "a webhook needs 'events': the event names to send", hint: example)
                return nil
            }
            for event in events where !CampaignParser.isIdentifier(event.text) {
                diagnostics.error(
                    at: event.node.location, "'\(event.text)' is not an event name (letters, digits, '_', '-', '.')")
            }
            return WebhookRule(url: url.text, events: events.map(\.text))
        }
    }
}
