import Foundation

/// A real HTTP receiver for webhooks on loopback (Tests/Fixtures/webhook_receiver.py,
/// Python's standard library): records each POST and checks its signature with Python's
/// own hmac under `secret`.
public final class WebhookReceiver: @unchecked Sendable {
    public let port: Int
    public let folder: TemporaryDirectory
    private let process: Process

    /// Listens on `port` (0: any free one), answering each request after `delayMilliseconds`.
    public init(secret: String, port: Int = 0, delayMilliseconds: Int = 0) throws {
        folder = try TemporaryDirectory("nurture-webhooks")
        (process, self.port) = try FixtureScript.start(
            "webhook_receiver.py",
            [
                "--port", String(port), "--secret", secret, "--out", folder.url.appendingPathComponent("received").path,
                "--delay-ms", String(delayMilliseconds),
            ],
            in: folder, what: "the webhook receiver")
    }

    public var url: String { "http://127.0.0.1:\(port)/hooks/nurture" }

    /// The requests received so far, in order.
    public func received() throws -> [[String: Any]] {
        let directory = folder.url.appendingPathComponent("received")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return try names.filter { $0.hasSuffix(".json") }.sorted { Int($0.dropLast(5))! < Int($1.dropLast(5))! }.map {
            name in
            try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent(name)))
                as! [String: Any]
        }
    }

    public func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    deinit { if process.isRunning { process.terminate() } }
}
