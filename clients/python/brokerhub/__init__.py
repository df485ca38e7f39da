"""BrokerHub's Python client: every KIS and Kiwoom REST call through one hub (one token, one rate budget,
a durable priority queue, a circuit breaker and retries), with typed errors."""
from .aio import AsyncBrokerHub
from .client import APIHubClient, BrokerHub, Job, Result
from .errors import (BrokerError, BrokerHubError, CircuitOpen, ConnectionFailed, DeadlineExceeded, Forbidden,
                     IdempotencyConflict, InvalidRequest, NotFound, QueueFull, Unauthorized, Unavailable)

__all__ = ["APIHubClient", "AsyncBrokerHub", "BrokerError", "BrokerHub", "BrokerHubError", "CircuitOpen",
           "ConnectionFailed", "DeadlineExceeded", "Forbidden", "IdempotencyConflict", "InvalidRequest", "Job",
           "NotFound", "QueueFull", "Result", "Unauthorized", "Unavailable"]
__version__ = "0.1.0"
