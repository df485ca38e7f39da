import BrokerCore
import Foundation
import BrokerWire
import Testing

@Suite("Broker envelopes", .timeLimit(.minutes(5)))
struct EnvelopeTests {
    @Test func kisSuccessIsNoFailure() throws {
        let body = try JSONParser.parse(#"{"rt_cd":"0","msg_cd":"MCA00000","msg1":"정상처리 되었습니다.","output":{}}"#)
        #expect(KISEnvelope.failure(httpStatus: 200, body: body) == nil)
    }

    @Test func kisRateLimitAtHTTP500() throws {
        let body = try JSONParser.parse(#"{"rt_cd":"1","msg_cd":"EGW00201","msg1":"초당 거래건수를 초과하였습니다."}"#)
        let failure = try #require(KISEnvelope.failure(httpStatus: 500, body: body))
        #expect(failure.category == .rateLimited)
        #expect(failure.code == "EGW00201")
        #expect(failure.message == "초당 거래건수를 초과하였습니다.")
    }

    @Test func kisOAuthShape() throws {
        let body = try JSONParser.parse(#"{"error_description":"접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)","error_code":"EGW00133"}"#)
        let failure = try #require(KISEnvelope.failure(httpStatus: 403, body: body))
        #expect(failure.category == .tokenIssueTooFrequent)
        #expect(failure.code == "EGW00133")
    }

    @Test func kisFailureInsideHTTP200() throws {
        let body = try JSONParser.parse(#"{"rt_cd":"1","msg_cd":"OPSQ2001","msg1":"ERROR : INPUT INVALID_CHECK_MRKT_DIV_CODE"}"#)
        #expect(KISEnvelope.failure(httpStatus: 200, body: body)?.category == .permanent)
    }

    @Test func kisGatewayErrorWithoutBody() {
        #expect(KISEnvelope.failure(httpStatus: 503, body: nil)?.category == .transient)
    }

    @Test(arguments: [
        ("허용된 요청 개수를 초과하였습니다[1700:허용된 요청 개수를 초과하였습니다. API ID=ka10029]", "1700"),
        ("…[1700:허용된 API 요청 개수를 초과하였습니다. 유량=1, API ID=ka10001]", "1700"),
        ("인증에 실패했습니다[8005:Token이 유효하지 않습니다]", "8005"),
        ("토큰 인증에 실패했습니다. 접속을 종료합니다 [CODE=8005, MESSAGE=Token이 유효하지 않습니다]", "8005"),
        ("[2000](571489:장이 열리지 않는 날입니다.)", "2000"),
    ])
    func kiwoomInnerCode(message: String, code: String) {
        #expect(KiwoomEnvelope.innerCode(in: message) == code)
    }

    @Test func kiwoomNoInnerCode() {
        #expect(KiwoomEnvelope.innerCode(in: "정상적으로 처리되었습니다") == nil)
        #expect(KiwoomEnvelope.innerCode(in: "[abc:def]") == nil)
        #expect(KiwoomEnvelope.innerCode(in: "[") == nil)
    }

    @Test func kiwoomReturnCode5IsRateLimitedOnlyFor17xx() throws {
        let limited = try JSONParser.parse(#"{"return_msg":"허용된 요청 개수를 초과하였습니다[1700:허용된 요청 개수를 초과하였습니다. API ID=ka10029]","return_code":5}"#)
        #expect(KiwoomEnvelope.failure(httpStatus: 429, body: limited)?.category == .rateLimited)
        let other = try JSONParser.parse(#"{"return_msg":"조회 불가[1634:조회할 수 없는 종목입니다]","return_code":5}"#)
        let failure = try #require(KiwoomEnvelope.failure(httpStatus: 200, body: other))
        #expect(failure.category == .permanent)
        #expect(failure.code == "1634")
        #expect(failure.returnCode == 5)
    }

    /// Issue #12 item 7: a Kiwoom 429 that names no inner code is still rate limiting (retried after a pause);
    /// an inner code nobody knows with return_code 5 stays permanent, whatever the status.
    @Test func kiwoom429WithoutInnerCodeIsRateLimited() throws {
        let bare = try JSONParser.parse(#"{"return_msg":"허용된 요청 개수를 초과하였습니다","return_code":5}"#)
        let failure = try #require(KiwoomEnvelope.failure(httpStatus: 429, body: bare))
        #expect(failure.category == .rateLimited)
        #expect(failure.category.isRetryable)
        #expect(KiwoomEnvelope.failure(httpStatus: 429, body: nil)?.category == .rateLimited)
        let unknown = try JSONParser.parse(#"{"return_msg":"알 수 없는 오류[1234:새 코드]","return_code":5}"#)
        #expect(KiwoomEnvelope.failure(httpStatus: 200, body: unknown)?.category == .permanent)
        #expect(KiwoomEnvelope.failure(httpStatus: 429, body: unknown)?.category == .permanent)
        for inner in ["1700", "1701", "1702"] {
            let limited = try JSONParser.parse(#"{"return_msg":"허용된 요청 개수를 초과하였습니다[\#(inner):초과]","return_code":5}"#)
            #expect(KiwoomEnvelope.failure(httpStatus: 200, body: limited)?.category == .rateLimited, "\(inner)")
        }
    }

    @Test func kiwoomExpiredTokenAtHTTP200() throws {
        let body = try JSONParser.parse(#"{"return_msg":"인증에 실패했습니다[8005:Token이 유효하지 않습니다]","return_code":3}"#)
        #expect(KiwoomEnvelope.failure(httpStatus: 200, body: body)?.category == .tokenExpired)
        let ok = try JSONParser.parse(#"{"return_code":0,"return_msg":"정상적으로 처리되었습니다"}"#)
        #expect(KiwoomEnvelope.failure(httpStatus: 200, body: ok) == nil)
    }
}

/// A quote survives `RecordJSON` both ways (what `brokerhub snapshot --hub` reads from `/v1/execute`), and
/// `KST.parseISO8601` reads back exactly what `KST.iso8601` writes.
@Suite("Record JSON round trip")
struct RecordJSONRoundTripTests {
    @Test func aQuoteReadsBackEqual() throws {
        let time = KST.instant(KSTDate(year: 2025, month: 9, day: 8)!, hour: 10, minute: 0, second: 1).addingTimeInterval(0.25)
        let quote = Quote(
            provider: .kis, symbol: "005930", name: "삼성전자", time: time, receivedAt: time, price: 71_000, change: -500,
            changeRate: FixedDecimal(mantissa: -70, scale: 2), open: 71_500, high: 71_600, low: 70_900, volume: 12_345,
            tradingValue: 876_543_210, previousClose: 71_500, upperLimit: 92_900, lowerLimit: 50_100, askPrice: 71_100, bidPrice: 71_000,
            askSize: 10, bidSize: 20, listedShares: 5_969_782_550, halted: true, warning: "market_warning:01", sourceType: .restQuote
        )
        let decoded = try RecordJSON.decodeQuote(try JSONParser.parse(RecordJSON.encode(quote)))
        #expect(decoded == quote)
        let bare = Quote(provider: .kiwoom, symbol: "000660", time: time, price: 1, change: 0, changeRate: .zero, open: 1, high: 1, low: 1, volume: 0, sourceType: .realtime)
        #expect(try RecordJSON.decodeQuote(try JSONParser.parse(RecordJSON.encode(bare))) == bare)
    }

    @Test func aBrokenRecordNamesItsField() {
        #expect {
            try RecordJSON.decodeQuote(try JSONParser.parse(#"{"type":"quote","provider":"kis","symbol":"005930","time":"yesterday","price":1,"change":0,"change_rate":0,"open":1,"high":1,"low":1,"volume":1,"source_type":"rest_quote"}"#))
        } throws: { ($0 as? BrokerHubError)?.message.contains("field time") == true }
        #expect(throws: BrokerHubError.self) { try RecordJSON.decodeQuote(try JSONParser.parse(#"{"type":"tick","provider":"kis"}"#)) }
    }

    @Test func isoTimesReadBack() {
        for seconds in [0.0, 1.5, 1_757_289_600.123, 1_800_000_000.999] {
            let instant = Date(timeIntervalSince1970: seconds)
            let text = KST.iso8601(instant)
            #expect(KST.parseISO8601(text).map { abs($0.timeIntervalSince(instant)) < 0.0005 } == true, "\(text)")
        }
        for bad in ["", "2025-09-08T10:00:00Z", "2025-09-08 10:00:00+09:00", "2025-13-08T10:00:00+09:00", "2025-09-08T24:00:00+09:00", "2025-09-08T10:00:00.5+09:00"] {
            #expect(KST.parseISO8601(bad) == nil, "\(bad)")
        }
    }
}
