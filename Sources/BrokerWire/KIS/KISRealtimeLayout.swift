/// Field layouts of KIS realtime records, in wire order.
public enum KISRealtimeLayout {
    /// `H0STCNT0` 실시간 체결가: the 46 fields clients were written for (python-kis 2.1.6 insists on them).
    public static let trade: [String] = [
        "MKSC_SHRN_ISCD", "STCK_CNTG_HOUR", "STCK_PRPR", "PRDY_VRSS_SIGN", "PRDY_VRSS", "PRDY_CTRT",
        "WGHN_AVRG_STCK_PRC", "STCK_OPRC", "STCK_HGPR", "STCK_LWPR", "ASKP1", "BIDP1", "CNTG_VOL", "ACML_VOL",
        "ACML_TR_PBMN", "SELN_CNTG_CSNU", "SHNU_CNTG_CSNU", "NTBY_CNTG_CSNU", "CTTR", "SELN_CNTG_SMTN",
        "SHNU_CNTG_SMTN", "CCLD_DVSN", "SHNU_RATE", "PRDY_VOL_VRSS_ACML_VOL_RATE", "OPRC_HOUR",
        "OPRC_VRSS_PRPR_SIGN", "OPRC_VRSS_PRPR", "HGPR_HOUR", "HGPR_VRSS_PRPR_SIGN", "HGPR_VRSS_PRPR",
        "LWPR_HOUR", "LWPR_VRSS_PRPR_SIGN", "LWPR_VRSS_PRPR", "BSOP_DATE", "NEW_MKOP_CLS_CODE", "TRHT_YN",
        "ASKP_RSQN1", "BIDP_RSQN1", "TOTAL_ASKP_RSQN", "TOTAL_BIDP_RSQN", "VOL_TNRT",
        "PRDY_SMNS_HOUR_ACML_VOL", "PRDY_SMNS_HOUR_ACML_VOL_RATE", "HOUR_CLS_CODE", "MRKT_TRTM_CLS_CODE",
        "VI_STND_PRC",
    ]

    /// `H0STCNT0` since 2026-09-14 (KRX after-market): the 46 fields and `MARKET_CLS_CODE`.
    public static let tradeWithMarketClass: [String] = trade + ["MARKET_CLS_CODE"]

    /// `H0STASP0` 실시간 호가: 59 fields.
    public static let orderBook: [String] = {
        var names = ["MKSC_SHRN_ISCD", "BSOP_HOUR", "HOUR_CLS_CODE"]
        names += (1...10).map { "ASKP\($0)" }
        names += (1...10).map { "BIDP\($0)" }
        names += (1...10).map { "ASKP_RSQN\($0)" }
        names += (1...10).map { "BIDP_RSQN\($0)" }
        names += [
            "TOTAL_ASKP_RSQN", "TOTAL_BIDP_RSQN", "OVTM_TOTAL_ASKP_RSQN", "OVTM_TOTAL_BIDP_RSQN", "ANTC_CNPR",
            "ANTC_CNQN", "ANTC_VOL", "ANTC_CNTG_VRSS", "ANTC_CNTG_VRSS_SIGN", "ANTC_CNTG_PRDY_CTRT", "ACML_VOL",
            "TOTAL_ASKP_RSQN_ICDC", "TOTAL_BIDP_RSQN_ICDC", "OVTM_TOTAL_ASKP_ICDC", "OVTM_TOTAL_BIDP_ICDC",
            "STCK_DEAL_CLS_CODE",
        ]
        return names
    }()

    /// The order-book layout live KRX frames have been seen to carry: 59 fields plus `KMID_PRC`,
    /// `KMID_TOTAL_RSQN`, `KMID_CLS_CODE` (undocumented for H0STASP0).
    public static let orderBookExtended: [String] = orderBook + ["KMID_PRC", "KMID_TOTAL_RSQN", "KMID_CLS_CODE"]

    /// `H0STCNI0` 체결통보 (decrypted): 26 fields; the older 23-field layout is refused with a clear error.
    public static let executionNotice: [String] = [
        "CUST_ID", "ACNT_NO", "ODER_NO", "OODER_NO", "SELN_BYOV_CLS", "RCTF_CLS", "ODER_KIND", "ODER_COND",
        "STCK_SHRN_ISCD", "CNTG_QTY", "CNTG_UNPR", "STCK_CNTG_HOUR", "RFUS_YN", "CNTG_YN", "ACPT_YN", "BRNC_NO",
        "ODER_QTY", "ACNT_NAME", "ORD_COND_PRC", "ORD_EXG_GB", "POPUP_YN", "FILLER", "CRDT_CLS",
        "CRDT_LOAN_DATE", "CNTG_ISNM40", "ODER_PRC",
    ]

    static let tradeTransactions: Set<String> = ["H0STCNT0", "H0NXCNT0", "H0UNCNT0"]
    static let orderBookTransactions: Set<String> = ["H0STASP0", "H0NXASP0", "H0UNASP0"]
    static let noticeTransactions: Set<String> = ["H0STCNI0", "H0STCNI9"]
}
