import Foundation
import Testing

@Suite("brokerhub normalize", .timeLimit(.minutes(5)))
struct NormalizeCommandTests {
    static let daily = #"{"output":[{"stck_bsop_date":"20250908","stck_oprc":"69800","stck_hgpr":"70500","stck_lwpr":"69600","stck_clpr":"70100","acml_vol":"9263135","prdy_vrss":"600","prdy_vrss_sign":"2","prdy_ctrt":"0.86"},{"stck_bsop_date":"20250905","stck_oprc":"70300","stck_hgpr":"70400","stck_lwpr":"69500","stck_clpr":"69500","acml_vol":"11526724","prdy_vrss":"-600","prdy_vrss_sign":"5","prdy_ctrt":"-0.86"}],"rt_cd":"0","msg_cd":"MCA00000","msg1":"정상처리 되었습니다."}"#

    @Test func printsOneCandlePerLineOldestFirst() async throws {
        let result = try await CLIRunner.run(["normalize", "--provider", "kis", "--tr", "FHKST01010400", "--symbol", "005930"], stdin: Self.daily)
        #expect(result.status == 0, "\(result.stderr)")
        let objects = try result.objects()
        #expect(objects.count == 2)
        #expect(objects.first?["start"] as? String == "2025-09-05T00:00:00+09:00")
        #expect(objects.last?["close"] as? Int == 70100)
        for object in objects {
            for key in ["provider", "symbol", "interval", "start", "open", "high", "low", "close", "volume", "source_type"] {
                #expect(object[key] != nil, "missing \(key)")
            }
            #expect(object["interval"] as? String == "1d")
            #expect(object["source_type"] as? String == "rest_candle")
        }
    }

    @Test func brokenJSONExitsWith2NamingTheTR() async throws {
        let result = try await CLIRunner.run(["normalize", "--provider", "kis", "--tr", "FHKST01010400", "--symbol", "005930"], stdin: #"{"output":[{"stck_bsop_date":"2025"#)
        #expect(result.status == 2)
        #expect(result.stderr.contains("FHKST01010400"))
        #expect(result.stdout.isEmpty)
    }

    @Test func badFieldNamesRecordAndField() async throws {
        let body = Self.daily.replacingOccurrences(of: #""stck_clpr":"69500""#, with: #""stck_clpr":"69,500""#)
        let result = try await CLIRunner.run(["normalize", "--provider", "kis", "--tr", "FHKST01010400", "--symbol", "005930"], stdin: body)
        #expect(result.status == 2)
        #expect(result.stderr.contains("FHKST01010400 record 1 field stck_clpr"), "\(result.stderr)")
    }

    @Test func brokerErrorExitsWith3() async throws {
        let body = #"{"return_msg":"허용된 요청 개수를 초과하였습니다[1700:허용된 요청 개수를 초과하였습니다. API ID=ka10081]","return_code":5}"#
        let result = try await CLIRunner.run(["normalize", "--provider", "kiwoom", "--tr", "ka10081", "--status", "429"], stdin: body)
        #expect(result.status == 3)
        #expect(result.stderr.contains("rate_limited"))
    }

    @Test func unknownTRExitsWithUsageError() async throws {
        let result = try await CLIRunner.run(["normalize", "--provider", "kis", "--tr", "FHKST99999999"], stdin: "{}")
        #expect(result.status == 64)
        #expect(result.stderr.contains("not supported"))
    }

    @Test func kiwoomSignedPricesBecomeMagnitudes() async throws {
        let body = #"{"stk_cd":"005930","stk_min_pole_chart_qry":[{"cur_prc":"-78800","trde_qty":"7913","cntr_tm":"20250917132000","open_pric":"-78850","high_pric":"-78900","low_pric":"-78800","acc_trde_qty":"14947571","pred_pre":"-600","pred_pre_sig":"5"}],"return_code":0,"return_msg":"정상적으로 처리되었습니다"}"#
        let result = try await CLIRunner.run(["normalize", "--provider", "kiwoom", "--tr", "ka10080", "--param", "tic_scope=1"], stdin: body)
        #expect(result.status == 0, "\(result.stderr)")
        let candle = try #require(try result.objects().first)
        #expect(candle["close"] as? Int == 78800)
        #expect(candle["high"] as? Int == 78900)
        #expect(candle["interval"] as? String == "1m")
        #expect(candle["start"] as? String == "2025-09-17T13:20:00+09:00")
    }
}
