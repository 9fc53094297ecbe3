import Foundation
import Hummingbird
import NurtureCore

/// `POST /subscribe` captures a lead from an HTML form: `email`, `name` (or
/// `first_name`/`last_name`), `tags` from the configured list, and the fields
/// `subscribe.fields` keeps as attributes (every other field is dropped). A filled-in honeypot
/// field (`website`, hidden from people) gets the thank-you page and stores nothing.
/// The lead is enrolled by the next tick, by its tags. `GET /subscribe` shows a form.
///
/// Capture never changes a lead's status: someone who unsubscribed stays unsubscribed,
/// whoever types their address into the form.
struct SubscribeRoutes: Sendable {
    let store: any Store
    let allowedTags: [String]
    let defaultTags: [String]
    let fields: CaptureFields
    let now: @Sendable () -> Date
    /// Told of each capture (a new lead may enter a stage on its fit alone).
    let followUps: FollowUps?
    /// Double opt-in: nil keeps a capture a lead at once.
    let confirm: ConfirmRoutes?
    /// Posts per client address per minute (`subscribe.per_client_per_minute`).
    let perClient: WindowCounter

    static let honeypot = "website"
    static let maxBody = 16 * 1024

    func add(to router: Router<NurtureRequestContext>) {
        router.get("/subscribe") { _, _ in
            Page.html(Page.document(title: "Subscribe", body: form(error: nil)))
        }
        router.post("/subscribe") { request, context in
            let wantsJSON = request.headers[.accept]?.contains("application/json") == true
            // Signup bombing: one client may not make the form mail (or add) address after
            // address; counted before anything is read, honeypot hits included.
            if let wait = perClient.take(context.clientIP(request) ?? "unknown", now: now()) {
                var response = refuse(
                    "too many subscriptions from this address; try again in a minute", status: .tooManyRequests,
                    json: wantsJSON)
                response.headers[.retryAfter] = String(Int(wait.rounded(.up)))
                return response
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.maxBody)
            } catch {
                return refuse("the form is too large", status: .contentTooLarge, json: wantsJSON)
            }
            let fields = FormFields(urlencoded: String(buffer: body))
            if let trap = fields.first(Self.honeypot), !trap.isEmpty {
                context.logger.debug("subscribe: honeypot filled; nothing stored")
                return thanks(json: wantsJSON)
            }
            guard let rawEmail = fields.first("email"),
                let email = try? EmailAddress(rawEmail.trimmingCharacters(in: .whitespaces))
            else {
                return refuse("please enter a valid email address", status: .badRequest, json: wantsJSON)
            }
            let tags = fields.all("tags").flatMap { $0.split(separator: ",") }.map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
            if let unknown = tags.first(where: { !allowedTags.contains($0) }) {
                return refuse("'\(unknown)' is not a list you can join here", status: .badRequest, json: wantsJSON)
            }
            var first = fields.first("first_name").flatMap(Self.cleanName)
            var last = fields.first("last_name").flatMap(Self.cleanName)
            if first == nil, last == nil, let name = fields.first("name").flatMap(Self.cleanName) {
                let parts = name.split(separator: " ", maxSplits: 1)
                first = parts.first.map(String.init)
                last = parts.count > 1 ? String(parts[1]) : nil
            }
            var input = LeadInput(
                email: email, firstName: first, lastName: last, tags: Array(Set(defaultTags + tags)).sorted(),
                source: Self.source(fields, referer: request.headers[.referer]))
            if let problem = self.fields.apply({ fields.first($0) }, to: &input) {
                return refuse(problem, status: .badRequest, json: wantsJSON)
            }
            // An address already known changes nothing (not its name, tags or status), and
            // the answer is the same either way: the form must not reveal who is a lead.
            let at = now()
            if let confirm {
                try await confirm.request(input, logger: context.logger)
                return thanks(json: wantsJSON, confirming: true)
            }
            if try await retryingWhileBusy({ try await store.addLeadIfNew(input, now: at) }) { followUps?.nudge() }
            return thanks(json: wantsJSON)
        }
    }

    /// Where the lead came from: the form's `utm_source`, `utm_medium` and `utm_campaign`
    /// fields (a page copies them from its own address into hidden fields), or else the
    /// query string of the page that posted the form (its `Referer`).
    static func source(_ fields: FormFields, referer: String?) -> LeadSource? {
        if let fromForm = LeadSource(
            source: fields.first("utm_source"), medium: fields.first("utm_medium"),
            campaign: fields.first("utm_campaign"))
        {
            return fromForm
        }
        guard let referer, let items = URLComponents(string: referer)?.queryItems else { return nil }
        func item(_ name: String) -> String? { items.first { $0.name == name }?.value }
        return LeadSource(source: item("utm_source"), medium: item("utm_medium"), campaign: item("utm_campaign"))
    }

    /// Names are kept to one line of reasonable length: they end up in headers and pages.
    static func cleanName(_ text: String) -> String? {
        let flat = CaptureFields.oneLine(text)
        return flat.isEmpty ? nil : String(flat.prefix(100))
    }

    private func thanks(json: Bool, confirming: Bool = false) -> Response {
        if json { return confirming ? Page.json(["ok": true, "confirm": true]) : Page.json(["ok": true]) }
        let text = confirming ? "Please check your inbox: we sent you a link to confirm." : "You are on the list."
        return Page.html(Page.document(title: "Thank you", body: "<h1>Thank you</h1><p>\(text)</p>"))
    }

    private func refuse(_ message: String, status: HTTPResponse.Status, json: Bool) -> Response {
        json
            ? Page.json(["ok": false, "error": message], status: status)
            : Page.html(Page.document(title: "Subscribe", body: form(error: message)), status: status)
    }

    private func form(error: String?) -> String {
        var body = "<h1>Subscribe</h1>"
        if let error { body += "<p role=\"alert\"><strong>\(Page.escape(error))</strong></p>" }
        body +=
            "<form method=\"post\" action=\"/subscribe\"><p><label>Email <input type=\"email\" name=\"email\" required></label></p>"
        body += "<p><label>Name <input type=\"text\" name=\"name\"></label></p>"
        for tag in allowedTags {
            body +=
                "<p><label><input type=\"checkbox\" name=\"tags\" value=\"\(Page.escape(tag))\"> \(Page.escape(tag))</label></p>"
        }
        // People never see this field; form-filling bots do.
        body +=
            "<p style=\"position:absolute;left:-10000px\" aria-hidden=\"true\"><label>Website <input type=\"text\" name=\"\(Self.honeypot)\" tabindex=\"-1\" autocomplete=\"off\"></label></p>"
        return body + "<p><button type=\"submit\">Subscribe</button></p></form>"
    }
}

/// `application/x-www-form-urlencoded` fields, in order, repeats kept.
struct FormFields {
    private var pairs: [(String, String)] = []

    init(urlencoded text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            pairs.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
        }
    }

    func first(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }
    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }
}
