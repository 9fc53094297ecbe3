import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 connection with `TrackingFastPath` added to each pipeline,
/// right after the handler that keeps count of requests for idle timeouts and shutdown.
/// (Hummingbird's own hook, `additionalChannelHandlers`, adds handlers before that one,
/// where answers written from them would go uncounted.)
struct TrackingFirstHTTP1Channel: ServerChildChannel {
    let http1: HTTP1Channel
    let makeFastPath: @Sendable () -> TrackingFastPath

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        let makeFastPath = makeFastPath
        return http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let counting = try channel.pipeline.syncOperations.handler(type: HTTPConnectionStateHandler.self)
            try channel.pipeline.syncOperations.addHandler(makeFastPath(), position: .after(counting))
            return value
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
