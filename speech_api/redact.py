"""Masking of the speech service's key in anything shown: URLs, log lines, error texts.

The key travels in ``Authorization: Bearer …``, which requests and urllib3 never log; but a base
URL may carry one too (``https://user:key@host/v1``, ``…/v1?api_key=…`` for some gateways), a
provider may echo it in an error ("Incorrect API key provided: sk-…"), and a header dict may get
printed.  Everything shown passes through :func:`redact`; :func:`install_log_filters` puts a
:class:`RedactingFilter` on the loggers that print request URLs.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

MASK = '***'
#: literal secrets shorter than this are not scrubbed by value (they would hit innocent text)
MIN_LITERAL = 6

_QUERY_RE = re.compile(
    r'(?i)(?<![\w-])(api[_-]?key|key|access[_-]?token|token|secret|password|sig)(=|%3D)([^&\s#\'";,)>\]]*)')
_USERINFO_RE = re.compile(r'(?i)(\b[a-z][a-z0-9+.-]*://)[^/@\s]+@')
_BEARER_RE = re.compile(r'(?i)\b(bearer|basic)(\s+)[^\s\'",}]+')
# "Authorization": "…", 'api-key': '…' (a header dict's repr or JSON)
_HEADER_RE = re.compile(
    r'(?i)(["\'])(authorization|api[_-]?key|x-api-key)\1(\s*:\s*)(["\'])(?:\\.|(?!\4).)*\4')
# OpenAI-style keys, also as providers echo them half-masked ("sk-proj-****abcd")
_SK_RE = re.compile(r'\bsk-[\w*.\-]{4,}')


def redact(text: Any, secrets: Iterable[str | None] = ()) -> str:
    """``str(text)`` with keys masked: each literal of ``secrets``, bearer/basic credentials,
    secret-looking query parameters, ``user:password@`` in URLs, header pairs, ``sk-…`` keys."""
    out = text if isinstance(text, str) else str(text)
    for value in secrets:
        if value and len(value) >= MIN_LITERAL:
            out = out.replace(value, MASK)
    out = _USERINFO_RE.sub(lambda m: f'{m.group(1)}{MASK}@', out)
    out = _HEADER_RE.sub(lambda m: f'{m.group(1)}{m.group(2)}{m.group(1)}{m.group(3)}{m.group(4)}{MASK}{m.group(4)}',
                         out)
    out = _BEARER_RE.sub(lambda m: f'{m.group(1)}{m.group(2)}{MASK}', out)
    out = _QUERY_RE.sub(lambda m: f'{m.group(1)}{m.group(2)}{MASK}', out)
    return _SK_RE.sub(f'sk-{MASK}', out)


class RedactingFilter(logging.Filter):
    """Renders each record once, masks it, and stores it back without args; drops nothing."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: logging's own error handling reports it
            return True
        clean = redact(message, self.secrets)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        return True


#: urllib3's pool prints every request line ("POST /v1/audio/transcriptions?… HTTP/1.1"), its
#: retry helper the URL; our own logger as a backstop.  A filter on a logger applies to records
#: logged on that very logger only, hence the exact names.
FILTERED_LOGGERS = ('urllib3.connectionpool', 'urllib3.util.retry', 'speech_api')


def install_log_filters(names: Iterable[str] = FILTERED_LOGGERS) -> None:
    """Attach a :class:`RedactingFilter` to each named logger once (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
