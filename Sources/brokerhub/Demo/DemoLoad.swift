import AsyncHTTPClient
import BrokerWire
import Foundation
import NIOCore
import NIOHTTP1

/// The demo's callers: plain HTTP clients of the hub, as a user's services would be.
struct DemoLoad: Sendable {
    let hub: String
    let mock: String
    let tally: DemoTally
    let symbols: [String]
    let until: Date

    func get(_ path: String) async -> (Int, [UInt8]) { await send(.GET, hub + path, body: nil) }

    func send(_ method: HTTPMethod, _ url: String, body: String?) async -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(70))
            let buffer = try await response.body.collect(upTo: 32 << 20)
            return (Int(response.status.code), Array(buffer: buffer))
        } catch {
            return (0, [])
        }
    }

    /// Tallies one call by its outcome class.
    func timed(_ call: () async -> (Int, [UInt8])) async {
        let start = Date()
        let (status, body) = await call()
        let outcome: String = switch status {
        case 200...299: "ok"
        case 0: "transport"
        default: (try? JSONParser.parse(body))?["error"]?["code"]?.stringValue ?? "http_\(status)"
        }
        tally.record(outcome, seconds: Date().timeIntervalSince(start))
        // Like a well-behaved client, back off when the hub says the broker is unavailable.
        if status == 503 { try? await Task.sleep(for: .milliseconds(500)) }
    }

    /// Interactive quotes, one after another, for random symbols.
    func quotes(provider: String, seed: Int) async {
        var index = seed
        while Date() < until {
            index = (index &* 1_103_515_245 &+ 12_345) & 0x7fff_ffff
            let symbol = symbols[index % symbols.count]
            await timed { await get("/v1/quotes/\(symbol)?provider=\(provider)") }
        }
    }

    /// Candle ranges; repeated past ranges are served from the history cache.
    func candles(seed: Int) async {
        var index = seed
        while Date() < until {
            index += 1
            let symbol = symbols[index % 12]
            await timed { await get("/v1/candles/\(symbol)?provider=kis&interval=1d&from=20250101&to=20250630") }
        }
    }

    /// Multi-symbol snapshots (30 symbols a call) at snapshot priority.
    func snapshots() async {
        var offset = 0
        while Date() < until {
            let batch = (0..<30).map { symbols[(offset + $0) % symbols.count] }.joined(separator: ",")
            offset += 30
            await timed {
                await send(.POST, hub + "/v1/execute", body: #"{"provider":"kis","tr_id":"FHKST11300006","params":{"symbols":"\#(batch)"},"priority":"snapshot"}"#)
            }
            try? await Task.sleep(for: .seconds(2))
        }
    }

    /// A burst of asynchronous backfill jobs, then polling until they finish or time runs out.
    func backfillBurst(count: Int) async {
        var ids: [String] = []
        for index in 0..<count {
            let symbol = symbols[index % symbols.count]
            let body = #"{"provider":"kis","tr_id":"FHKST03010100","params":{"FID_INPUT_ISCD":"\#(symbol)","FID_INPUT_DATE_1":"20240101","FID_INPUT_DATE_2":"20241231"},"priority":"backfill","max_pages":3,"timeout_ms":120000,"idempotency_key":"demo-backfill-\#(index)"}"#
            let (status, answer) = await send(.POST, hub + "/v1/jobs", body: body)
            if status == 202 || status == 200, let id = (try? JSONParser.parse(answer))?["id"]?.stringValue {
                ids.append(id)
                tally.jobSubmitted()
            }
        }
        var pending = Set(ids)
        while !pending.isEmpty, Date() < until.addingTimeInterval(20) {
            for id in pending {
                let (status, answer) = await get("/v1/jobs/\(id)")
                let state = status == 200 ? (try? JSONParser.parse(answer))?["state"]?.stringValue : nil
                if let state, ["succeeded", "failed", "cancelled"].contains(state) {
                    pending.remove(id)
                    tally.jobFinished()
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Breaks the broker for `seconds` (every answer a 5xx), then restores the usual jitter.
    func faultBurst(at start: Date, seconds: Double, restore: String) async {
        try? await Task.sleep(for: .milliseconds(Int64(max(0, start.timeIntervalSinceNow) * 1000)))
        _ = await send(.POST, mock + "/_mock/faults", body: #"{"server_error_rate":1.0,"latency_ms":5,"jitter_ms":20}"#)
        try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        _ = await send(.POST, mock + "/_mock/faults", body: restore)
    }
}
