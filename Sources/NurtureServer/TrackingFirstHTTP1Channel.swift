import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1

/// Hummingbird's HTTP/1 connection with the tracking answers in front of it:
/// `TrackingWirePath` first in the pipeline (plain tracking requests answered from the
/// bytes), and `TrackingFastPath` right after the handler that keeps count of requests
/// for idle timeouts and shutdown (Hummingbird's own hook, `additionalChannelHandlers`,
/// adds handlers before that one, where answers written from them would go uncounted).
///
/// That counting handler leaves the pipeline until the wire path hands the connection
/// over: until then the wire path keeps the idle timeout and shutdown itself, since the
/// counting handler would see none of its requests and take a busy connection for idle.
struct TrackingFirstHTTP1Channel: ServerChildChannel {
    let http1: HTTP1Channel
    let makeFastPath: @Sendable () -> TrackingFastPath
    let makeWirePath:
        @Sendable (_ idleTimeout: TimeAmount, _ handOver: @escaping (ChannelHandlerContext) throws -> Void) ->
            TrackingWirePath

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        let makeFastPath = makeFastPath
        let makeWirePath = makeWirePath
        let idleTimeout = http1.configuration.idleTimeout
        return http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            // Framing rules right after the parser, before any answer path.
            let parser = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(HTTPFramingRules(), position: .after(parser))
            let counting = try pipeline.handler(type: HTTPConnectionStateHandler.self)
            let fastPath = makeFastPath()
            try pipeline.addHandler(fastPath, position: .after(counting))
            _ = pipeline.removeHandler(counting)
            let wirePath = makeWirePath(idleTimeout ?? .hours(24 * 365)) { context in
                try context.pipeline.syncOperations.addHandler(
                    HTTPConnectionStateHandler(
                        idleTimeout: idleTimeout.map { .nanoseconds($0.nanoseconds) }, logger: logger),
                    position: .before(fastPath))
            }
            try pipeline.addHandler(wirePath, position: .first)
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
