"""The one shape of a refused request, shared by input checks, authentication and limits."""

from __future__ import annotations


class RequestError(Exception):
    """Answered as HTTP `status` with `{"error": {"code", "message"}}` instead of a result."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
