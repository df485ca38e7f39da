/// When a client must have sent its request (issue #18 item 3): the head within the deadline of the connection
/// being ready for one (opened, or its last answer written), the body within the deadline of the head. Unlike
/// the idle timeout, bytes trickling in do not restart it. While the hub works on a received request there is
/// no deadline for the client. Pure: `RequestDeadlineHandler` performs the actions.
struct RequestReadDeadline {
    enum State {
        /// Waiting for a head; `pending` requests are received and not yet answered.
        case awaitingHead(pending: Int)
        /// A head arrived, its body has not ended.
        case readingBody(pending: Int)
    }

    enum Action: Equatable {
        /// Start (or restart) the deadline.
        case arm
        /// No deadline now.
        case disarm
        case none
    }

    /// What the deadline's expiry calls for.
    enum Expiry: Equatable {
        /// Nothing is owed to the client: answer 408, then close.
        case answerTimeout
        /// Answers are still owed ahead of the late request: close.
        case close
    }

    private(set) var state = State.awaitingHead(pending: 0)

    func opened() -> Action { .arm }

    mutating func headReceived() -> Action {
        guard case .awaitingHead(let pending) = state else { return .none }
        state = .readingBody(pending: pending)
        return .arm
    }

    mutating func endReceived() -> Action {
        guard case .readingBody(let pending) = state else { return .none }
        state = .awaitingHead(pending: pending + 1)
        return .disarm
    }

    mutating func responseEnded() -> Action {
        switch state {
        case .awaitingHead(let pending):
            state = .awaitingHead(pending: max(0, pending - 1))
            return pending == 1 ? .arm : .none
        case .readingBody(let pending):
            state = .readingBody(pending: max(0, pending - 1))
            return .none
        }
    }

    func expired() -> Expiry {
        switch state {
        case .awaitingHead(let pending), .readingBody(let pending): pending == 0 ? .answerTimeout : .close
        }
    }
}
