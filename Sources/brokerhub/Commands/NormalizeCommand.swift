import ArgumentParser
import BrokerCore
import BrokerWire
import Foundation

/// `brokerhub normalize`: one raw REST response body → one JSON record per line.
struct NormalizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "normalize",
        abstract: "Normalise one raw KIS/Kiwoom REST response body into JSON records, one per line.",
        discussion: """
        Exit codes: 0 ok; 2 the body cannot be read (the message names the TR, the record and the field); \
        3 the body is a broker error or names an unknown symbol; 64 bad arguments.
        Rows skipped on purpose (empty placeholder rows, unknown symbols in a multi-quote) are listed on stderr.
        """
    )

    @Option(help: "The broker: kis or kiwoom.")
    var provider: Provider

    @Option(name: .customLong("tr"), help: "The TR id (KIS, e.g. FHKST03010100) or api-id (Kiwoom, e.g. ka10081).")
    var transaction: String

    @Option(help: "The symbol asked for, for bodies that do not name it (sets FID_INPUT_ISCD / stk_cd).")
    var symbol: String?

    @Option(name: .customLong("param"), help: "A request parameter NAME=VALUE, e.g. FID_PERIOD_DIV_CODE=W or tic_scope=5 (repeatable).")
    var parameters: [String] = []

    @Option(help: "The HTTP status the body came with.")
    var status: Int = 200

    @Option(help: "Trading date (YYYYMMDD) for records that carry only a time of day; default: the KST date of --received-at.")
    var date: String?

    @Option(help: "When the body was received: YYYYMMDDHHMMSS (KST) or ISO-8601; default now.")
    var receivedAt: String?

    @Option(help: "Override the records' source_type (e.g. backfill).")
    var sourceType: String?

    @Argument(help: "The body file; standard input when absent.")
    var file: String?

    func run() async throws {
        let context = try makeContext()
        let body = try InputSource.read(file)
        let batch: NormalizedBatch
        do {
            batch = switch provider {
            case .kis: try KISRestNormalizer.normalize(trID: transaction, body: body, httpStatus: status, context: context)
            case .kiwoom: try KiwoomRestNormalizer.normalize(apiID: transaction, body: body, httpStatus: status, context: context)
            }
        } catch let error as BrokerHubError {
            CLIExit.report(error.message)
            throw ExitCode(CLIExit.code(for: error))
        }
        var output = OutputBuffer()
        for record in batch.records { output.line(RecordJSON.encode(record)) }
        output.flush()
        for row in batch.skipped { CLIExit.report("note: \(transaction) \(row)") }
    }

    private func makeContext() throws -> NormalizationContext {
        var parameters = RequestParameters()
        for pair in self.parameters {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw ValidationError("--param expects NAME=VALUE, got \(pair)")
            }
            parameters[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        if let symbol {
            parameters["FID_INPUT_ISCD"] = parameters["FID_INPUT_ISCD"] ?? symbol
            parameters["stk_cd"] = parameters["stk_cd"] ?? symbol
        }
        var tradingDate: KSTDate?
        if let date {
            guard let parsed = KSTDate(date) else { throw ValidationError("--date expects YYYYMMDD, got \(date)") }
            tradingDate = parsed
        }
        var source: SourceType?
        if let sourceType {
            guard let parsed = SourceType(rawValue: sourceType) else {
                throw ValidationError("--source-type must be one of \(SourceType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            source = parsed
        }
        return NormalizationContext(
            receivedAt: try InputSource.instant(receivedAt), parameters: parameters, sourceType: source, tradingDate: tradingDate
        )
    }
}
