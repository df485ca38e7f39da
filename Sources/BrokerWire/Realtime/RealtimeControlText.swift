import BrokerCore
import Foundation

/// The brokers' realtime control messages as they put them on the wire (pure): KIS subscription acks and
/// `PINGPONG`, Kiwoom `LOGIN`/`REG`/`REMOVE` answers, `PING` and `SYSTEM` notices. The mock broker and the hub's
/// realtime gateway both speak through these, so the gateway answers exactly what the broker would.
public enum RealtimeControlText {
    /// KIS's heartbeat: `{"header":{"tr_id":"PINGPONG","datetime":"YYYYMMDDHHMMSS"}}` (KST).
    public static func kisPingPong(at instant: Date) -> String {
        #"{"header":{"tr_id":"PINGPONG","datetime":"\#(KST.compactDateTime(instant))"}}"#
    }

    /// A KIS subscription acknowledgement; `keyAndIV` (the notice key, 32 chars, and iv, 16) only on successful
    /// subscribes. `returnCode` is `rt_cd`: "0" success, "1" or "9" failure.
    public static func kisAck(trID: String, trKey: String, returnCode: String, code: String, message: String, keyAndIV: (String, String)? = nil) -> String {
        var output = ""
        if let (key, iv) = keyAndIV { output = #","output":{"iv":"\#(iv)","key":"\#(key)"}"# }
        return #"{"header":{"tr_id":"\#(plain(trID))","tr_key":"\#(plain(trKey))","encrypt":"N"},"body":{"rt_cd":"\#(returnCode)","msg_cd":"\#(code)","msg1":"\#(plain(message))"\#(output)}}"#
    }

    /// A Kiwoom answer: `{"trnm":…,"return_code":…,"return_msg":…}` plus `extra` members (`,"sor_yn":"Y"`).
    public static func kiwoomAnswer(_ trnm: String, code: Int, message: String, extra: String = "") -> String {
        #"{"trnm":"\#(plain(trnm))","return_code":\#(code),"return_msg":"\#(plain(message))"\#(extra)}"#
    }

    /// Kiwoom's heartbeat.
    public static let kiwoomPing = #"{"trnm":"PING"}"#

    /// A Kiwoom `SYSTEM` notice (`R10001` replaced, `R10002` heartbeat missed).
    public static func kiwoomSystem(code: String, message: String) -> String {
        #"{"trnm":"SYSTEM","code":"\#(plain(code))","message":"\#(plain(message))"}"#
    }

    /// `text` without control characters, quotes or backslashes (what the brokers' own messages hold), so it
    /// can sit in a JSON string as is.
    public static func plain(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return text }
        return String(text.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\"" && $0 != "\\" }.map(Character.init))
    }
}
