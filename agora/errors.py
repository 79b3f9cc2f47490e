"""Domain errors raised by services and mapped to HTTP responses by the views."""

from __future__ import annotations

from typing import Any


class AgoraError(Exception):
    """Base of every error a service raises on purpose.

    ``message`` is already translated (services use ``gettext``) or plain English in the CLI;
    ``field`` names the form field it belongs to, when there is one.
    """

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class InvalidInput(AgoraError):
    status_code = 400


class PermissionDenied(AgoraError):
    status_code = 403


class NotFound(AgoraError):
    status_code = 404


class Conflict(AgoraError):
    status_code = 409


class PhaseClosed(AgoraError):
    status_code = 409


class RateLimited(AgoraError):
    status_code = 429
