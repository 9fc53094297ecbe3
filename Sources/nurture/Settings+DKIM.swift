import Foundation
import NurtureCore

/// One `dkim:` entry of nurture.yml: the key file is read when mail is built.
struct DKIMKeySetting {
    var domain: String
    var selector: String
    var keyFile: String
}

extension Settings {
    /// `dkim:`: a list of `{ domain, selector, key_file }`.
    static func readDKIM(_ node: YAMLNode, _ diagnostics: inout DiagnosticBag) -> [DKIMKeySetting] {
        let example = "like - { domain: acme.example, selector: s1, key_file: /etc/nurture/s1.pem }"
        guard let items = node.items else {
            diagnostics.error(at: node.location, "'dkim' takes a list, found \(node.kindName)", hint: example)
            return []
        }
        return items.compactMap { item -> DKIMKeySetting? in
            guard let map = MappingReader(item, what: "a DKIM key", into: &diagnostics) else { return nil }
            map.rejectUnknownKeys(allowed: ["domain", "selector", "key_file"], in: "a DKIM key", into: &diagnostics)
            guard let domain = map.requiredText("domain", in: "a DKIM key", hint: example, into: &diagnostics),
                let selector = map.requiredText("selector", in: "a DKIM key", hint: example, into: &diagnostics),
                let file = map.requiredText("key_file", in: "a DKIM key", hint: example, into: &diagnostics)
            else { return nil }
            let label = #/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/#
            for (what, value) in [("domain", domain), ("selector", selector)]
            where value.text.split(separator: ".", omittingEmptySubsequences: false).contains(where: {
                $0.wholeMatch(of: label) == nil
            }) {
                diagnostics.error(
                    at: value.node.location,
                    "a DKIM key's \(what) must be DNS labels joined by dots, not '\(value.text)'", hint: example)
                return nil
            }
            return DKIMKeySetting(domain: domain.text, selector: selector.text, keyFile: file.text)
        }
    }
}

extension Project {
    /// The DKIM keys of nurture.yml, read from their files (nil when there are none). A
    /// key file others may read is refused: whoever can read it can sign as the domain.
    func dkimSigner() throws -> DKIMSigner? {
        guard !settings.dkim.isEmpty else { return nil }
        let keys = try settings.dkim.map { setting in
            let path = resolve(setting.keyFile).path
            var info = stat()
            guard stat(path, &info) == 0 else {
                throw UserError("cannot read the DKIM key file \(path): \(String(cString: strerror(errno)))")
            }
            guard info.st_mode & 0o077 == 0 else {
                throw UserError(
                    "the DKIM key file \(path) may be read by others; allow only its owner: chmod 600 \(path)")
            }
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw UserError("cannot read the DKIM key file \(path)")
            }
            do {
                return try DKIMKey(domain: setting.domain, selector: setting.selector, pem: pem)
            } catch {
                throw UserError("the DKIM key file \(path): \(error)")
            }
        }
        return DKIMSigner(keys: keys, clock: Date.init)
    }
}
