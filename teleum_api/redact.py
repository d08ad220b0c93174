"""Masking of secrets in anything the client shows: URLs, log lines, messages, param dicts.

Teleum takes the account password (``paswd``) and the session ``token`` in the query string, so
every URL the client builds carries secrets, and so does any message that embeds such a URL
(requests/urllib3 exceptions do, and so does urllib3's own DEBUG line
``"GET /api/v3/?cmd=balance&token=… HTTP/1.1"``).  Everything shown goes through here.

* :func:`redact` masks ``key=value`` pairs of secret keys in URLs and free text, and quoted
  ``"key": "value"`` pairs (JSON or a dict's repr), optionally also given literal secret values.
* :func:`redact_params` returns a copy of a param dict with the secret values masked.
* :class:`RedactingFilter` is a :class:`logging.Filter` applying :func:`redact` to whole records;
  the client installs it on the ``urllib3.connectionpool`` logger (see :func:`install_log_filters`).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = '***'

#: Query/field names whose values are secrets.  ``sig``/``signature`` sign the recording links
#: (bearer URLs), so they are masked as well.
SECRET_KEYS = frozenset({'paswd', 'passwd', 'password', 'pass', 'pwd', 'token', 'sig', 'signature'})

_KEYS = '|'.join(sorted(SECRET_KEYS, key=len, reverse=True))
# key=value in a query string or free text; the key may be percent-encoded-free only (it is ours),
# the value runs to the next separator.  ``(?<![\w-])`` keeps e.g. ``mytoken=`` untouched.
_QUERY_RE = re.compile(r'(?i)(?<![\w-])(' + _KEYS + r')(=|%3D)([^&\s#\'";,)>\]]*)')
# "key": "value" / 'key': 'value' (JSON, a dict's repr) and key: value without quotes on the value.
_QUOTED_RE = re.compile(
    r'(?i)(["\'])\s*(' + _KEYS + r')\s*\1(\s*:\s*)(?:(["\'])(?:\\.|(?!\4).)*\4|[^,}\s]+)')

# user:password@ in a URL's authority
_USERINFO_RE = re.compile(r'(?i)(\b[a-z][a-z0-9+.-]*://)[^/@\s]+@')

#: literal secret values shorter than this are not scrubbed by value (too likely to hit
#: innocent text, e.g. a one-digit password); the key-based patterns still mask them.
MIN_LITERAL = 4


def redact(text: Any, secrets: Iterable[str | None] = ()) -> str:
    """Return ``str(text)`` with secret values masked.

    Masks ``paswd=…``/``token=…`` (and the other :data:`SECRET_KEYS`) in URLs and text, quoted
    ``"token": "…"`` pairs, ``user:password@`` in URLs, and, if given, each literal value of
    ``secrets`` (the client passes its password and current token, so even a secret echoed in an
    unexpected place is hidden).
    """
    out = text if isinstance(text, str) else str(text)
    for value in secrets:
        if value and len(value) >= MIN_LITERAL:
            out = out.replace(value, MASK)
    out = _USERINFO_RE.sub(lambda m: f'{m.group(1)}{MASK}@', out)
    out = _QUERY_RE.sub(lambda m: f'{m.group(1)}{m.group(2)}{MASK}', out)
    return _QUOTED_RE.sub(
        lambda m: f'{m.group(1)}{m.group(2)}{m.group(1)}{m.group(3)}{m.group(1)}{MASK}{m.group(1)}',
        out)


def is_secret_key(key: Any) -> bool:
    return str(key).strip().lower() in SECRET_KEYS


def redact_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Copy of ``params`` with the values of secret keys replaced by ``'***'``."""
    return {k: (MASK if is_secret_key(k) else v) for k, v in (params or {}).items()}


class RedactingFilter(logging.Filter):
    """Masks secrets in every record passing through the logger it is attached to.

    The record's message is rendered once (``msg % args``), redacted and stored back with empty
    ``args``, so no handler or formatter downstream can see the original URL.  It never drops a
    record.  Filters on a logger apply only to records logged *on that logger*, which is why the
    client attaches it to ``urllib3.connectionpool`` itself and not to ``urllib3``.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging's own error handling
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        return True


#: loggers that print request URLs: urllib3's pool ("GET /api/v3/?…&token=… HTTP/1.1"), its retry
#: helper (prints the URL on retries, if anyone mounts a Retry), and our own logger as a backstop.
FILTERED_LOGGERS = ('urllib3.connectionpool', 'urllib3.util.retry', 'teleum_api')


def install_log_filters(names: Iterable[str] = FILTERED_LOGGERS) -> None:
    """Attach a :class:`RedactingFilter` to each named logger once (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
