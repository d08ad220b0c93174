"""Typed failures of the speech client.

Every error carries ``code`` (a short machine name the caller decides on), ``message`` (fit to
show to an administrator: for a refusal, the provider's own words) and ``status`` (the HTTP
status, if there was an answer).  Texts pass through :func:`.redact.redact` on the way in, and the
client never chains a requests/urllib3 exception (their text embeds the URL), so neither
``str(exc)`` nor a traceback shows the key.

=====================  ==============  =====================================================
class                  code            what the caller does
=====================  ==============  =====================================================
SpeechRefusedError     ``auth``        401/403: the key is wrong; stop until it is fixed
SpeechRefusedError     ``refused``     400/404/422, or a 429 "quota exhausted": the request
                                       as configured (URL, model, language) is refused; stop
SpeechAudioError       ``audio``       413/415: this file cannot be sent; skip it, go on
SpeechRateLimitError   ``rate_limit``  429: wait ``retry_after`` seconds (None: unknown)
SpeechTransientError   ``transient``   5xx, 408, timeout, connection error, an answer that
                                       is not what the API returns: try again later
SpeechError            ``config``      the base URL is not an http(s) URL
=====================  ==============  =====================================================
"""
from __future__ import annotations

from .redact import redact


class SpeechError(Exception):
    """Base class; ``code`` may be set per instance (``'config'``)."""

    code = 'error'
    #: the caller may send the same request again later
    retryable = False

    def __init__(self, message: str = '', *, status: int | None = None, detail: str | None = None,
                 code: str | None = None, retry_after: float | None = None,
                 secrets: tuple[str | None, ...] = ()) -> None:
        self.message = redact(message, secrets)
        self.status = status
        #: redacted technical detail (the original exception's text, a body excerpt), for logs
        self.detail = redact(detail, secrets) if detail else None
        #: seconds the server asked to wait (429 Retry-After), if it said
        self.retry_after = retry_after
        if code:
            self.code = code
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f'{type(self).__name__}(code={self.code!r}, status={self.status!r}, message={self.message!r})'

    def __reduce__(self):  # pickling with keyword arguments
        return (_rebuild, (type(self), self.message, self.status, self.detail, self.code, self.retry_after))


def _rebuild(cls, message, status, detail, code, retry_after):
    return cls(message, status=status, detail=detail, code=code, retry_after=retry_after)


class SpeechRefusedError(SpeechError):
    """The service refused the request as configured; ``message`` is its own text."""

    code = 'refused'


class SpeechAudioError(SpeechError):
    """This one file was refused (too large, a format the service does not read)."""

    code = 'audio'


class SpeechRateLimitError(SpeechError):
    """HTTP 429 (still there after the short waits the client allows itself)."""

    code = 'rate_limit'
    retryable = True


class SpeechTransientError(SpeechError):
    """5xx, 408, timeout, connection error, an unreadable answer: the request may be tried later."""

    code = 'transient'
    retryable = True
