import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Realtime
import ServiceLifecycle

extension HubRoutes {
    /// `GET /v1/stream`: the pipeline's live records as Server-Sent Events — `id:` the event id, `event:` its channel,
    /// `data:` its JSON (`StreamEventJSON`) — filtered by `provider`, `channel` and `symbol`, ending after `limit`
    /// events if given. A comment line every `streamHeartbeat` keeps proxies from closing a quiet stream and finds a
    /// client that has gone. 503 `unavailable` when the hub has no pipeline bus (BROKERHUB_BUS); a bad filter is a
    /// 400 with the member named, counted. The stream ends at the hub's graceful shutdown.
    func stream(_ request: Request) async throws -> Response {
        guard let feed else {
            throw APIError(.unavailable, "this hub has no pipeline bus to stream from: set BROKERHUB_BUS (journal:PATH or redis://…)")
        }
        let filter: StreamFilter
        do {
            filter = try StreamFilter.parse(request.uri.queryParameters.map { (String($0.key), String($0.value)) })
        } catch {
            feed.refused(reason: "invalid_filter")
            throw error
        }
        let events = try await feed.events(pattern: filter.pattern)
        let heartbeat = configuration.streamHeartbeat
        let clock = self.clock
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            feed.opened()
            defer { feed.closed() }
            let (output, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .unbounded)
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Events, filtered and framed; the output ends with the limit or with the bus.
                    group.addTask {
                        var remaining = filter.limit ?? Int.max
                        for await event in events where filter.matches(event) {
                            continuation.yield(ByteBuffer(string: Self.serverSentEvent(event)))
                            feed.sent(1)
                            remaining -= 1
                            if remaining == 0 { break }
                        }
                        continuation.finish()
                    }
                    group.addTask {
                        while !Task.isCancelled {
                            try await clock.sleep(for: heartbeat)
                            continuation.yield(ByteBuffer(string: ": keepalive\n\n"))
                        }
                    }
                    try await writer.write(ByteBuffer(string: "retry: 2000\n: brokerhub stream \(filter.pattern)\n\n"))
                    for await buffer in output { try await writer.write(buffer) }
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                continuation.finish()
            }
            try await writer.finish(nil)
        })
    }

    /// One event in the `text/event-stream` framing.
    static func serverSentEvent(_ event: RealtimeEvent) -> String {
        "id: \(event.id)\nevent: \(event.channel.rawValue)\ndata: \(StreamEventJSON.encode(event))\n\n"
    }
}
