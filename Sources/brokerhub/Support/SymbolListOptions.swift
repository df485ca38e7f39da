import ArgumentParser
import AsyncHTTPClient
import BrokerCore
import Foundation
import Snapshots

/// The symbols a command works on, named one way: `--symbols A,B`, `--symbols-file PATH` or `--universe-url URL`
/// (e.g. the mock broker's `/_mock/universe`), optionally cut to the first `--top N`.
struct SymbolListOptions: ParsableArguments {
    @Option(help: "Symbols, comma-separated.")
    var symbols: String?

    @Option(help: "A file of symbols, one a line (# starts a comment).")
    var symbolsFile: String?

    @Option(help: "A URL answering the symbol list as text, one a line (e.g. the mock broker's /_mock/universe).")
    var universeUrl: String?

    @Option(help: "Take only the first N symbols of the list.")
    var top: Int?

    func validate() throws {
        guard [symbols, symbolsFile, universeUrl].compactMap({ $0 }).count == 1 else {
            throw ValidationError("name the symbols one way: --symbols A,B, --symbols-file PATH or --universe-url URL")
        }
        if let top, top <= 0 { throw ValidationError("--top must be positive") }
    }

    /// The symbols from whichever option was given (an unreachable --universe-url exits 69).
    func read() async throws -> [String] {
        let text: String
        if let symbols {
            text = symbols.replacingOccurrences(of: ",", with: "\n")
        } else if let symbolsFile {
            guard let data = FileManager.default.contents(atPath: symbolsFile) else {
                throw ValidationError("--symbols-file \(symbolsFile) cannot be read")
            }
            text = String(decoding: data, as: UTF8.self)
        } else if let universeUrl {
            do {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: universeUrl), timeout: .seconds(10))
                guard response.status.code == 200 else { throw ValidationError("--universe-url answered HTTP \(response.status.code)") }
                text = String(buffer: try await response.body.collect(upTo: 8 << 20))
            } catch let error as ValidationError {
                throw error
            } catch {
                CLIExit.report("--universe-url \(universeUrl) not reached: \(error)")
                throw ExitCode(CLIExit.unavailable)
            }
        } else {
            text = ""
        }
        var codes = SnapshotPlan.symbols(in: text)
        guard !codes.isEmpty else { throw ValidationError("the symbol list is empty") }
        if let bad = codes.first(where: { !SymbolCode.isPlausible($0) }) {
            throw ValidationError("\(bad.prefix(20)) is not a symbol code")
        }
        if let top { codes = Array(codes.prefix(top)) }
        return codes
    }
}
