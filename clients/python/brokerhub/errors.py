"""Typed errors mirroring the hub's error codes (docs/http-api.md, "Errors")."""
from __future__ import annotations

from typing import Any, Dict, Optional


class BrokerHubError(Exception):
    """An error the hub answered: its HTTP status, dotted code and message, and the broker's own error when
    the broker refused (``broker``: provider, category, code, status, message)."""

    def __init__(self, code: str, message: str, status: int = 0, broker: Optional[Dict[str, Any]] = None,
                 retry_after: Optional[float] = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.broker = broker
        self.retry_after = retry_after


class InvalidRequest(BrokerHubError):
    """400/405/408/413/415: the request was refused before anything reached the broker."""


class Unauthorized(BrokerHubError):
    """401 ``hub.unauthorized``: missing or unknown API key."""


class Forbidden(BrokerHubError):
    """403 ``hub.forbidden``."""


class NotFound(BrokerHubError):
    """404: unknown symbol (``broker.not_found``), job or route."""


class IdempotencyConflict(BrokerHubError):
    """409 ``hub.idempotency_conflict``: the key was used for another request."""


class QueueFull(BrokerHubError):
    """429 ``hub.queue_full`` (retried by the client up to ``max_retries``, honouring Retry-After)."""


class BrokerError(BrokerHubError):
    """502 ``broker.error``: the broker's final refusal after the hub's retries (see ``broker``)."""


class CircuitOpen(BrokerHubError):
    """503 ``hub.circuit_open``: the provider's circuit breaker is open."""


class Unavailable(BrokerHubError):
    """503 ``hub.unavailable``."""


class DeadlineExceeded(BrokerHubError):
    """504 ``hub.deadline``: no answer within the request's timeout."""


class ConnectionFailed(BrokerHubError):
    """The hub could not be reached (code ``client.connection``)."""


_BY_CODE = {
    "hub.unauthorized": Unauthorized,
    "hub.forbidden": Forbidden,
    "broker.not_found": NotFound,
    "request.no_route": NotFound,
    "hub.idempotency_conflict": IdempotencyConflict,
    "hub.queue_full": QueueFull,
    "broker.error": BrokerError,
    "hub.circuit_open": CircuitOpen,
    "hub.unavailable": Unavailable,
    "hub.deadline": DeadlineExceeded,
}

_BY_STATUS = {401: Unauthorized, 403: Forbidden, 404: NotFound, 409: IdempotencyConflict, 429: QueueFull,
              502: BrokerError, 503: Unavailable, 504: DeadlineExceeded}


def error_for(status: int, body: Any, retry_after: Optional[float] = None) -> BrokerHubError:
    """The typed error for an answer: by the body's code, else by the status."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code = str(error.get("code", "hub.error"))
        message = str(error.get("message", ""))
        broker = error.get("broker") if isinstance(error.get("broker"), dict) else None
    else:
        code, message, broker = f"http.{status}", (body if isinstance(body, str) else "")[:500], None
    cls = _BY_CODE.get(code)
    if cls is None:
        cls = InvalidRequest if code.startswith("request.") or status in (400, 405, 408, 413, 415) else _BY_STATUS.get(status, BrokerHubError)
    return cls(code, message, status=status, broker=broker, retry_after=retry_after)
