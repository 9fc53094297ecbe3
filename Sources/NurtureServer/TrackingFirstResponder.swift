import Hummingbird

/// `serve`'s responder: tracking requests first (TrackingRoutes), everything else
/// through the router, with its middleware.
struct TrackingFirstResponder<Next: HTTPResponder>: HTTPResponder where Next.Context == NurtureRequestContext {
    let tracking: TrackingRoutes
    let next: Next

    func respond(to request: Request, context: NurtureRequestContext) async throws -> Response {
        if let response = await tracking.respond(to: request, context: context) {
            context.logger.debug(
                "Request",
                metadata: [
                    "hb.request.path": .stringConvertible(request.uri),
                    "hb.request.method": .string(request.method.rawValue),
                ])
            return response
        }
        return try await next.respond(to: request, context: context)
    }
}
