import BrokerCore
import Foundation

/// The symbols of the simulated market: well-known names first, then generated ones, all from the seed.
public struct MockUniverse: Sendable {
    public let symbols: [MockSymbol]
    private let index: [String: Int]

    /// Well-known symbols, always present (when the universe is at least this large).
    public static let wellKnown: [(code: String, name: String, market: String, price: Int64)] = [
        ("005930", "삼성전자", "KOSPI", 70_000), ("000660", "SK하이닉스", "KOSPI", 130_000),
        ("035420", "NAVER", "KOSPI", 190_000), ("005380", "현대차", "KOSPI", 200_000),
        ("035720", "카카오", "KOSPI", 45_000), ("051910", "LG화학", "KOSPI", 400_000),
        ("006400", "삼성SDI", "KOSPI", 380_000), ("068270", "셀트리온", "KOSPI", 170_000),
        ("207940", "삼성바이오로직스", "KOSPI", 800_000), ("005490", "POSCO홀딩스", "KOSPI", 390_000),
        ("000270", "기아", "KOSPI", 85_000), ("105560", "KB금융", "KOSPI", 60_000),
        ("055550", "신한지주", "KOSPI", 42_000), ("012330", "현대모비스", "KOSPI", 230_000),
        ("028260", "삼성물산", "KOSPI", 110_000), ("066570", "LG전자", "KOSPI", 95_000),
        ("003550", "LG", "KOSPI", 80_000), ("034730", "SK", "KOSPI", 170_000),
        ("015760", "한국전력", "KOSPI", 19_000), ("017670", "SK텔레콤", "KOSPI", 50_000),
        ("247540", "에코프로비엠", "KOSDAQ", 250_000), ("086520", "에코프로", "KOSDAQ", 600_000),
        ("091990", "셀트리온헬스케어", "KOSDAQ", 60_000), ("263750", "펄어비스", "KOSDAQ", 40_000),
        ("293490", "카카오게임즈", "KOSDAQ", 25_000), ("041510", "에스엠", "KOSDAQ", 90_000),
        ("035900", "JYP Ent.", "KOSDAQ", 70_000), ("196170", "알테오젠", "KOSDAQ", 150_000),
        ("028300", "HLB", "KOSDAQ", 60_000), ("000100", "유한양행", "KOSPI", 70_000),
    ]

    static let syllables = Array("가나다라마바사아자차카타파하강남동서한국대성신우진영호명현미래산업전자화학제약바이오건설금융통신에너지")

    /// Builds `count` symbols (default about 2,700) deterministically from `seed`.
    public init(seed: UInt64, count: Int = 2_700) {
        var symbols: [MockSymbol] = []
        var used = Set<String>()
        func make(code: String, name: String, market: String, price: Int64?, ordinal: UInt64) -> MockSymbol {
            let key = SeededRandom.hash(seed, 0x5359_4D42, ordinal)
            let drawnPrice = Int64(1_000 * pow(10, 2.5 * SeededRandom.unit(SeededRandom.mix(key ^ 1))))
            let base = KRXPriceRules.round(price ?? drawnPrice)
            let liquidity = SeededRandom.unit(SeededRandom.mix(key ^ 2))
            let trades = ordinal == 0 ? 8_000 : Int(300 * pow(20, liquidity))
            let volatility = 0.01 + 0.025 * SeededRandom.unit(SeededRandom.mix(key ^ 3))
            let shares = Int64(5_000_000 + SeededRandom.mix(key ^ 4) % 500_000_000)
            return MockSymbol(
                code: code, name: name, market: market, basePrice: base, tradesPerDay: trades,
                dailyVolatility: volatility, listedShares: shares, key: key
            )
        }
        for (ordinal, known) in Self.wellKnown.prefix(count).enumerated() {
            used.insert(known.code)
            symbols.append(make(code: known.code, name: known.name, market: known.market, price: known.price, ordinal: UInt64(ordinal)))
        }
        var candidate: UInt64 = 0
        while symbols.count < count {
            candidate += 1
            let number = 10 + SeededRandom.hash(seed, 0x434F_4445, candidate) % 499_990
            let code = String(number * 10 / 10).leftPadded(to: 6)
            guard !used.contains(code) else { continue }
            used.insert(code)
            let nameHash = SeededRandom.hash(seed, 0x4E41_4D45, candidate)
            let name = (0..<3).map { String(Self.syllables[Int((nameHash >> (8 * UInt64($0))) % UInt64(Self.syllables.count))]) }.joined()
            let market = nameHash & 1 == 0 ? "KOSPI" : "KOSDAQ"
            symbols.append(make(code: code, name: name, market: market, price: nil, ordinal: UInt64(symbols.count)))
        }
        self.symbols = symbols
        self.index = Dictionary(uniqueKeysWithValues: symbols.enumerated().map { ($1.code, $0) })
    }

    public subscript(code: String) -> MockSymbol? { index[code].map { symbols[$0] } }

    public var count: Int { symbols.count }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
