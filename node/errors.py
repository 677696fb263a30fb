"""Errors raised by the node's services; the HTTP layer turns them into RFC 9457 problems and
the CLI into one line on stderr.

A detail is English text; written with :func:`node.messages.N_` it is also a
:class:`~node.messages.Message` that a page shows in the request's language
(ARCHITECTURE.md §Translations)."""

from __future__ import annotations

from typing import Any

from node.messages import N_


class NodeError(Exception):
    """A refused operation: ``reason`` is stable (``urn:spazi:problem:<reason>``)."""

    status = 400
    reason = "bad-request"
    title = "Bad request"
    # Seconds the client should wait before trying again (a Retry-After header), if any.
    retry_after: int | None = None

    def __init__(
        self, detail: str, reason: str | None = None, *, field: str | None = None, **extra: Any
    ) -> None:
        # ``field``: the input the refusal is about; the detail then names it first
        # (``password: use at least 12 characters``) and ``message`` is the text without it,
        # for a form to show beside that field.
        message = detail
        if field is not None:
            detail = N_("%(field)s: %(message)s", field=field, message=message)
        super().__init__(detail)
        self.detail = detail
        self.message = message
        self.field = field
        if reason is not None:
            self.reason = reason
        self.extra = extra


class InvalidInput(NodeError):
    status = 422
    reason = "invalid-input"
    title = "Invalid input"


class UnsupportedMediaType(InvalidInput):
    status = 415
    reason = "unsupported-media-type"
    title = "Unsupported media type"


class NotFound(NodeError):
    status = 404
    reason = "not-found"
    title = "Not found"


class Conflict(NodeError):
    status = 409
    reason = "conflict"
    title = "Conflict"


class Unauthorized(NodeError):
    status = 401
    reason = "unauthorized"
    title = "Authentication required"


class Unavailable(NodeError):
    """The database cannot serve now (busy, full, unreachable); retry after ``retry_after`` s."""

    status = 503
    reason = "unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class TooManyRequests(NodeError):
    """A sender went over a limit this node keeps (protocol.md §Errors); retry later."""

    status = 429
    reason = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int = 3600, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


class Forbidden(NodeError):
    status = 403
    reason = "forbidden"
    title = "Forbidden"
