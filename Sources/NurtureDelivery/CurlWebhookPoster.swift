import CCurlShim
import Foundation
import NurtureCore

/// POSTs webhooks with libcurl: http and https only, no redirects followed, a 2xx answer
/// is delivered, anything else (another status, no answer within `timeout`) a failure.
public struct CurlWebhookPoster: WebhookPoster {
    public var timeout: Duration

    private static let globalInit: Int32 = nurture_smtp_global_init()

    public init(timeout: Duration = .seconds(10)) {
        _ = Self.globalInit
        self.timeout = timeout
    }

    public func post(url: String, headers: [(String, String)], body: [UInt8]) async -> WebhookOutcome {
        let milliseconds = Int(timeout.components.seconds) * 1000
        // libcurl blocks for up to `timeout`: on a thread of its own. Not Dispatch's
        // global queue: on Linux its threads are the ones Swift's tasks run on, and four
        // posts to a slow receiver held them all (a `run --every` tick's timer waited for
        // the posts to end).
        return await withCheckedContinuation { continuation in
            Thread {
                var result = nurture_http_result()
                let lines = headers.map { strdup("\($0.0): \($0.1)") } + [nil]
                defer { for line in lines { free(line) } }
                lines.map { UnsafePointer($0) }.withUnsafeBufferPointer { list in
                    body.withUnsafeBufferPointer { bytes in
                        bytes.withMemoryRebound(to: CChar.self) { chars in
                            nurture_http_post(
                                url, list.baseAddress, chars.baseAddress, chars.count, milliseconds, &result)
                        }
                    }
                }
                let error = withUnsafeBytes(of: result.error) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if result.curl_code != 0 {
                    continuation.resume(returning: .failed(error))
                } else if (200...299).contains(result.status) {
                    continuation.resume(returning: .delivered)
                } else {
                    continuation.resume(returning: .failed("HTTP \(result.status)"))
                }
            }.start()
        }
    }
}
