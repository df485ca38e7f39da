import BrokerCore
import Testing

@Suite("Broker error taxonomy", .timeLimit(.minutes(5)))
struct BrokerErrorTaxonomyTests {
    @Test(arguments: [
        (500, "EGW00201", BrokerErrorCategory.rateLimited),
        (500, "EGW00215", .rateLimited),
        (500, "EGW00123", .tokenExpired),
        (500, "EGW00121", .tokenInvalid),
        (500, "EGW00122", .tokenInvalid),
        (403, "EGW00133", .tokenIssueTooFrequent),
        (500, "EGW00103", .permanent),
        (500, "EGW00105", .permanent),
        (500, "EGW00205", .permanent),
        (500, "EGW02004", .permanent),
        (200, "OPSQ2001", .permanent),
        (200, "MCA00124", .permanent),
        (502, "", .transient),
        (500, "EGW99999", .transient),
        (429, "", .rateLimited),
        (400, "XYZ", .permanent),
    ])
    func kisCodes(status: Int, code: String, expected: BrokerErrorCategory) {
        #expect(BrokerErrorTaxonomy.kis(httpStatus: status, messageCode: code) == expected)
    }

    @Test(arguments: [
        (429, 5, "1700", BrokerErrorCategory.rateLimited),
        (429, 5, "1701", .rateLimited),
        (200, 5, "1702", .rateLimited),
        (200, 5, "1634", .permanent),
        (200, 5, "1999", .transient),
        (200, 3, "8005", .tokenExpired),
        (200, 3, "8103", .tokenInvalid),
        (200, 2, "8030", .permanent),
        (200, 2, "1511", .permanent),
        (200, 2, "8020", .permanent),
        (200, 1, "1504", .permanent),
        (200, 2, "1902", .notFound),
        (200, 20, "2000", .permanent),
    ])
    func kiwoomCodes(status: Int, returnCode: Int, inner: String, expected: BrokerErrorCategory) {
        #expect(BrokerErrorTaxonomy.kiwoom(httpStatus: status, returnCode: returnCode, innerCode: inner) == expected)
    }

    @Test func kiwoomWithoutInnerCode() {
        #expect(BrokerErrorTaxonomy.kiwoom(httpStatus: 429, returnCode: 5, innerCode: nil) == .rateLimited)
        #expect(BrokerErrorTaxonomy.kiwoom(httpStatus: 200, returnCode: 5, innerCode: nil) == .permanent)
        #expect(BrokerErrorTaxonomy.kiwoom(httpStatus: 200, returnCode: 3, innerCode: nil) == .tokenInvalid)
        #expect(BrokerErrorTaxonomy.kiwoom(httpStatus: 503, returnCode: nil, innerCode: nil) == .transient)
    }

    @Test func categoriesDriveBehaviour() {
        #expect(BrokerErrorCategory.rateLimited.action == .slowDownAndRetry)
        #expect(BrokerErrorCategory.tokenExpired.action == .reissueTokenAndRetry)
        #expect(BrokerErrorCategory.tokenInvalid.action == .reissueTokenAndRetry)
        #expect(BrokerErrorCategory.tokenIssueTooFrequent.action == .waitForTokenIssuance)
        #expect(BrokerErrorCategory.transient.action == .retryWithBackoff)
        #expect(!BrokerErrorCategory.permanent.isRetryable)
        #expect(!BrokerErrorCategory.notFound.isRetryable)
        #expect(BrokerErrorCategory.allCases.filter(\.isRetryable).count == 5)
    }
}
