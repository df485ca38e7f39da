import BrokerCore
import BrokerWire
import HTTPTypes
import HubEngine
import Metrics
import Hummingbird
import NIOCore

/// Maps errors to HTTP at the edge: a status, a JSON body with code and reason (and the broker's own code
/// and message for broker errors), `Retry-After` where waiting helps.
struct APIError: Error, HTTPResponseError {
    let error: BrokerHubError
    /// Extra response headers (`Allow` on a 405).
    var headers: HTTPFields = [:]

    init(_ error: BrokerHubError) { self.error = error }

    init(_ code: BrokerHubError.Code, _ message: String, headers: HTTPFields = [:]) {
        error = BrokerHubError(code, message)
        self.headers = headers
    }

    var status: HTTPResponse.Status {
        switch error.code {
        case .invalidArgument, .unsupportedTransaction, .malformedPayload: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .unsupportedMediaType: .unsupportedMediaType
        case .notFound, .noRoute: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .tooLarge: .contentTooLarge
        case .idempotencyConflict: .conflict
        case .queueFull: .tooManyRequests
        case .brokerError: .badGateway
        case .circuitOpen, .unavailable: .serviceUnavailable
        case .deadlineExceeded: .gatewayTimeout
        default: .internalServerError
        }
    }

    var retryAfter: Int? {
        switch error.code {
        case .queueFull: 1
        case .circuitOpen: 30
        case .unavailable: 5
        default: nil
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        // Our own codes only (a broker's code is in the body, not the label): a bounded label set.
        Counter(label: "brokerhub_http_errors_total", dimensions: [("code", error.code.rawValue)]).increment()
        var object = JSONWriter.Object()
        object.add("code", error.code.rawValue)
        object.add("message", error.message)
        if let failure = error.failure {
            var broker = JSONWriter.Object()
            broker.add("provider", failure.provider.rawValue)
            broker.add("category", failure.category.rawValue)
            broker.add("code", failure.code)
            broker.add("http_status", Int64(failure.httpStatus))
            broker.add("message", failure.message)
            object.add("broker", raw: broker.json)
        }
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        headers.append(contentsOf: self.headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"error":\#(object.json)}"#)))
    }
}

extension Response {
    /// A JSON response.
    static func json(_ text: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// Runs `body`, turning any `BrokerHubError` into an `APIError`.
func api<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as BrokerHubError {
        throw APIError(error)
    }
}

/// Reads a JSON object request body (1 MiB at most).
func jsonBody(_ request: Request) async throws -> [String: JSONValue] {
    let buffer = try await request.body.collect(upTo: 1 << 20)
    guard buffer.readableBytes > 0 else { throw APIError(.invalidArgument, "expected a JSON object body") }
    do {
        guard let object = try JSONParser.parse(Array(buffer: buffer), uniqueKeys: true).objectValue else {
            throw APIError(.invalidArgument, "expected a JSON object body")
        }
        return object
    } catch let failure as JSONParser.Failure {
        throw APIError(.invalidArgument, "body is not valid JSON: \(failure)")
    }
}
