import Foundation
import Testing

@Suite("brokerhub parse-frames", .timeLimit(.minutes(5)))
struct ParseFramesCommandTests {
    static let record = "005930^093354^71900^5^-100^-0.14^71990.50^72000^72300^71700^71900^71800^10^3052507^219853241700^5105^6937^1832^84.90^1366638^1160240^1^0.38^20.92^090020^5^-100^090820^5^-400^092619^2^200^20230612^20^N^65945^216924^1118750^2199206^0.05^20416076^14.95^0^^72000"

    @Test func printsTicksAndNotesControlFrames() async throws {
        let input = [
            "0|H0STCNT0|002|" + Self.record + "^" + Self.record,
            #"{"header":{"tr_id":"PINGPONG","datetime":"20230612093354"}}"#,
        ].joined(separator: "\n")
        let result = try await CLIRunner.run(["parse-frames", "--provider", "kis", "--received-at", "20230612093355"], stdin: input)
        #expect(result.status == 0, "\(result.stderr)")
        let ticks = try result.objects()
        #expect(ticks.count == 2)
        let tick = try #require(ticks.first)
        #expect(tick["time"] as? String == "2023-06-12T09:33:54+09:00")
        for key in ["provider", "symbol", "time", "price", "volume", "cum_volume", "source_type"] {
            #expect(tick[key] != nil, "missing \(key)")
        }
        #expect(result.stderr.contains("PINGPONG"))
    }

    @Test func badLineIsReportedAndTheRestStillParsed() async throws {
        let input = ["0|H0STCNT0|001|" + Self.record, "0|H0STCNT0|00", "0|H0STCNT0|001|" + Self.record].joined(separator: "\n")
        let result = try await CLIRunner.run(["parse-frames", "--provider", "kis"], stdin: input)
        #expect(result.status == 2)
        #expect(result.lines.count == 2)
        #expect(result.stderr.contains("line 2"))
        #expect(result.stderr.contains("1 of 3 frames"))
    }

    @Test func kiwoomMessages() async throws {
        let input = [
            #"{"data":[{"values":{"20":"165208","10":"-20800","11":"-50","12":"-0.24","27":"-20800","28":"-20700","15":"+82","13":"30379732","14":"632640","16":"20850","17":"+21150","18":"-20450","25":"5","228":"98.92","290":"2","9081":"1"},"type":"0B","name":"주식체결","item":"005930"}],"trnm":"REAL"}"#,
            #"{"trnm":"PING"}"#,
            #"{"trnm":"REAL","data":[{"type":"0B","item":"005930","values":{"20":"1652","10":"100","15":"+1"}}]}"#,
        ].joined(separator: "\n")
        let result = try await CLIRunner.run(["parse-frames", "--provider", "kiwoom", "--received-at", "20250917165209", "--include-control"], stdin: input)
        #expect(result.status == 2)
        let objects = try result.objects()
        #expect(objects.count == 2)
        #expect(objects[0]["type"] as? String == "tick")
        #expect(objects[0]["price"] as? Int == 20800)
        #expect(objects[0]["side"] as? String == "buy")
        #expect(objects[0]["time"] as? String == "2025-09-17T16:52:08+09:00")
        #expect(objects[1]["kind"] as? String == "ping")
        #expect(result.stderr.contains("line 3"))
        #expect(result.stderr.contains("field 20"))
    }
}
