"""Typed failures of the Teleum client.

Every error carries ``code`` (a short machine name), ``message`` (fit to show to a user) and
``method`` (the API ``cmd`` concerned, if any).  Messages are passed through :func:`redact` on the
way in, so ``str(exc)``/``repr(exc)`` never show a password or token.  The client never chains a
requests/urllib3 exception as ``__cause__`` (their text embeds the full URL, token included, and
tracebacks print it); a redacted rendering of it is kept in ``detail`` instead.
"""
from __future__ import annotations

from .redact import redact


class TeleumError(Exception):
    """Base class.  ``code`` is overridable per instance for the rarer cases ('http', 'config')."""

    code = 'error'

    def __init__(self, message: str = '', *, method: str | None = None, status: int | None = None,
                 detail: str | None = None, code: str | None = None) -> None:
        self.message = redact(message)
        self.method = method
        #: HTTP status of the response, when there was one
        self.status = status
        #: redacted technical detail (e.g. the original exception's text), for logs
        self.detail = redact(detail) if detail else None
        if code:
            self.code = code
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(code={self.code!r}, method={self.method!r}, '
                f'message={self.message!r})')

    def __reduce__(self):  # keep pickling (multiprocessing, caches) working with keyword args
        return (_rebuild, (type(self), self.message, self.method, self.status, self.detail,
                           self.code))


def _rebuild(cls, message, method, status, detail, code):
    return cls(message, method=method, status=status, detail=detail, code=code)


class TeleumAuthError(TeleumError):
    """Login refused: wrong e-mail or password (also when a re-login is refused)."""

    code = 'auth'


class TeleumSessionError(TeleumError):
    """The server kept answering SESSION ENDED even right after a fresh login."""

    code = 'session'


class TeleumValidationError(TeleumError):
    """The API said no (``err=1``): ``message`` is the API's own text, verbatim.

    Also raised by the record parsers when a response does not have the shape of its method.
    """

    code = 'validation'


class TeleumTransientError(TeleumError):
    """Timeout, connection error, HTTP 5xx/429, malformed/truncated JSON, an HTML page: try later."""

    code = 'transient'


class TeleumTimeUp(Exception):  # not a failure: a deadline the caller set
    """A request was not sent: the caller's time limit (:meth:`.transport.TeleumTransport.time_limit`)
    had passed.  Not a :class:`TeleumError`: Teleum did not fail, nothing was sent, and the caller
    resumes later where it stopped."""

    def __init__(self, method: str | None = None) -> None:
        self.method = method
        super().__init__(f'time limit reached before {method or "a request"}')
