import BrokerCore

extension RealtimeEventCodec {
    /// The one-byte codes of enums on the wire. Fixed here, so reordering or adding Swift cases never changes
    /// what stored bytes mean. 0 is never used.
    enum Code {
        static func channel(_ value: RealtimeChannel) -> UInt8 {
            switch value {
            case .ticker: 1
            case .orderbook: 2
            case .system: 3
            }
        }

        static func channel(code: UInt8) -> RealtimeChannel? {
            switch code {
            case 1: .ticker
            case 2: .orderbook
            case 3: .system
            default: nil
            }
        }

        static func provider(_ value: Provider) -> UInt8 {
            switch value {
            case .kis: 1
            case .kiwoom: 2
            }
        }

        static func provider(code: UInt8) -> Provider? {
            switch code {
            case 1: .kis
            case 2: .kiwoom
            default: nil
            }
        }

        static func side(_ value: TradeSide) -> UInt8 {
            switch value {
            case .buy: 1
            case .sell: 2
            case .unknown: 3
            }
        }

        static func side(code: UInt8) -> TradeSide? {
            switch code {
            case 1: .buy
            case 2: .sell
            case 3: .unknown
            default: nil
            }
        }

        static func source(_ value: SourceType) -> UInt8 {
            switch value {
            case .realtime: 1
            case .restQuote: 2
            case .restCandle: 3
            case .backfill: 4
            case .derived: 5
            }
        }

        static func source(code: UInt8) -> SourceType? {
            switch code {
            case 1: .realtime
            case 2: .restQuote
            case 3: .restCandle
            case 4: .backfill
            case 5: .derived
            default: nil
            }
        }
    }
}
