import BrokerCore
import BrokerWire
import Collector
import Realtime
@testable import RealtimeGateway
import Testing

@Suite("Fan-out book")
struct FanoutBookTests {
    let samsung = GatewayKey(.kis, SubscriptionKey(.ticker, "005930"))
    let hynix = GatewayKey(.kis, SubscriptionKey(.ticker, "000660"))
    let a = GatewayClientID(1), b = GatewayClientID(2)

    @Test func theFirstHolderRegistersAndTheLastReleaseFrees() {
        var book = FanoutBook()
        #expect(book.hold(a, samsung) == .first)
        #expect(book.hold(b, samsung) == .shared)
        #expect(book.hold(b, samsung) == .already)
        #expect(book.keys.count == 1)
        #expect(book.release(a, samsung) == false)
        #expect(book.release(a, samsung) == nil, "a no longer holds it")
        #expect(book.release(b, samsung) == true)
        #expect(book.keys.isEmpty && book.held.isEmpty)
    }

    @Test func removingAClientFreesOnlyWhatNobodyElseHolds() {
        var book = FanoutBook()
        _ = book.hold(a, samsung)
        _ = book.hold(a, hynix)
        _ = book.hold(b, samsung)
        #expect(book.remove(a) == [hynix])
        #expect(book.holds(b, samsung) && !book.holds(a, samsung))
        #expect(book.remove(a).isEmpty)
        #expect(book.remove(b) == [samsung])
    }
}

@Suite("Upstream routes")
struct UpstreamRouteTests {
    @Test func kisDataFramesAreRoutedByTheirTRAndFirstSymbol() {
        #expect(UpstreamRoute.kis("0|H0STCNT0|002|005930^093354^71900^a^005930^093355^71900^b") == SubscriptionKey(.ticker, "005930"))
        #expect(UpstreamRoute.kis("0|H0STASP0|001|000660^0930^1") == SubscriptionKey(.orderbook, "000660"))
        #expect(UpstreamRoute.kis("0|H0NXCNT0|001|005930^1") == SubscriptionKey(.ticker, "005930"))
        // Acks, heartbeats, encrypted notices, unknown TRs and broken frames are not routed.
        #expect(UpstreamRoute.kis(#"{"header":{"tr_id":"PINGPONG","datetime":"20261207090000"}}"#) == nil)
        #expect(UpstreamRoute.kis("1|H0STCNI0|001|c2VjcmV0") == nil)
        #expect(UpstreamRoute.kis("0|H0XXXXX0|001|005930^1") == nil)
        #expect(UpstreamRoute.kis("0|H0STCNT0|001|") == nil)
        #expect(UpstreamRoute.kis("0|H0STCNT0") == nil)
        #expect(UpstreamRoute.kis("") == nil)
    }

    @Test func aKiwoomMessageOfOneRegistrationGoesOutVerbatim() {
        let message = #"{"trnm":"REAL","data":[{"type":"0B","name":"주식체결","item":"005930","values":{"10":"71900"}},{"type":"0B","item":"005930","values":{"10":"72000"}}]}"#
        let routed = UpstreamRoute.kiwoom(message)
        #expect(routed.count == 1 && routed[0].key == SubscriptionKey(.ticker, "005930") && routed[0].text == message)
    }

    @Test func aMixedKiwoomMessageIsSplitByRegistrationInOrder() throws {
        let message = #"{"data":[{"type":"0B","item":"005930","values":{"10":"1"}},{"type":"0D","item":"005930","values":{"41":"2"}},{"type":"0B","item":"000660","values":{"10":"3"}},{"type":"0B","item":"005930","values":{"10":"4"}}],"trnm":"REAL"}"#
        let routed = UpstreamRoute.kiwoom(message)
        #expect(routed.map(\.key) == [SubscriptionKey(.ticker, "005930"), SubscriptionKey(.orderbook, "005930"), SubscriptionKey(.ticker, "000660")])
        let first = try JSONParser.parse(routed[0].text)
        #expect(first["trnm"]?.stringValue == "REAL")
        #expect(first["data"]?.arrayValue?.compactMap { $0["values"]?["10"]?.stringValue } == ["1", "4"])
        #expect(UpstreamRoute.kiwoom(#"{"trnm":"PING"}"#).isEmpty)
        #expect(UpstreamRoute.kiwoom(#"{"trnm":"REAL","data":"#).isEmpty)
    }
}
