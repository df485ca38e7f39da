import BrokerCore
import BrokerWire
import Foundation

extension KISFrameEncoder {
    /// The 26 fields of an `H0STCNI0` execution notice reporting a fill (`CNTG_YN` 2).
    static func noticeFields(
        htsID: String, orderNumber: Int, symbol: String, name: String, buy: Bool, quantity: Int64, price: Int64, second: Int
    ) -> [String] {
        let number = String(orderNumber)
        let orderNo = String(repeating: "0", count: max(0, 10 - number.count)) + number
        return [
            htsID, "5012345601", orderNo, "", buy ? "02" : "01", "0", "00", "0",
            symbol, String(quantity), String(price), hhmmss(second), "0", "2", "2", "00950",
            String(quantity), "모의투자", "0", "1", "N", "", "10",
            "", name, String(price),
        ]
    }

    /// `1|<trID>|001|<base64>`: the `^`-joined fields, AES-256-CBC (PKCS7) with the ack's key and iv as UTF-8.
    static func encryptedFrame(trID: String, fields: [String], key: String, iv: String) throws -> String {
        "1|\(trID)|001|" + (try KISNoticeCipher.encrypt(fields.joined(separator: "^"), key: key, iv: iv))
    }

    /// The fields of an encrypted notice payload (base64), or nil when it does not decrypt: the inverse of
    /// `encryptedFrame`, for checking what the mock sends.
    static func decryptNotice(_ payload: String, key: String, iv: String) -> [String]? {
        guard let text = KISNoticeCipher.decrypt(payload, key: key, iv: iv) else { return nil }
        return text.split(separator: "^", omittingEmptySubsequences: false).map(String.init)
    }
}
