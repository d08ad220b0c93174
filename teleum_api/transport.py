"""The HTTP side of the Teleum client: sessions, retries, answer decoding, typed errors.

Every API call goes through :meth:`TeleumTransport._request`, which

* logs in lazily (``login`` gives token + vivaid) and adds both to the call;
* on SESSION ENDED (HTTP 401, or an error body saying so in the ``err``/``errmsg`` or
  ``error``/``errormsg`` style) logs in again and repeats the call once; a second SESSION ENDED
  right after a fresh login is a :class:`TeleumSessionError`, a refused re-login a
  :class:`TeleumAuthError`.  This is safe for writes too: the server did not carry them out;
* retries *reads* on transient failures with exponential backoff and never retries *writes*
  (a timed-out write may have happened: the caller must re-read the state instead).

Secrets (``paswd``, ``token``) travel in the query string, so nothing shown — log lines, error
messages, reprs — carries a URL or params that were not passed through :mod:`.redact`; this module
also puts a redacting filter on urllib3's ``urllib3.connectionpool`` logger, whose DEBUG line
``"GET /api/v3/?cmd=…&token=… HTTP/1.1"`` would otherwise print the token.
"""
from __future__ import annotations

import json
import logging
import math
import re
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import tzinfo
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests

from .convert import Row, is_empty, resolve_tz
from .errors import (
    TeleumAuthError,
    TeleumError,
    TeleumSessionError,
    TeleumTimeUp,
    TeleumTransientError,
    TeleumValidationError,
)
from .parsers import parse_login
from .records import LoginInfo
from .redact import install_log_filters, redact, redact_params

DEFAULT_URL = 'http://bill.tech.teleum.com/api/v3/'
USER_AGENT = 'teleum_telephony-odoo/18.0.1.0.0 (+requests)'
#: methods that change state on the server: never retried on a transient failure
WRITE_METHODS = frozenset({'editForward', 'editSIP', 'connectTariff', 'deleteForward',
                           'deleteSIP', 'moveForward'})
MAX_BACKOFF = 30.0

_logger = logging.getLogger('teleum_api')
install_log_filters()  # see redact.RedactingFilter: urllib3 logs full request URLs at DEBUG

T = TypeVar('T')
P = TypeVar('P')


class _SessionEnded(Exception):
    """Internal signal from one exchange: the server said SESSION ENDED."""


# --------------------------------------------------------------------------- response decoding

def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    """JSON object hook: a key given twice (the page lists ``link`` twice) keeps a non-empty value."""
    result: dict = {}
    for key, value in pairs:
        if key in result and (value is None or value == ''):
            continue
        result[key] = value
    return result


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, object_pairs_hook=_pairs)


# The page prints rows like  "calldatef":"17.07.2015 12:12:35"\n billsecu":"105"  (no comma, no
# opening quote).  Only when strict decoding fails, these two cheap repairs are tried; a truncated
# body is not repairable by them and stays a transient error.
_BARE_KEY_RE = re.compile(r'((?:^|[{,])\s*)([A-Za-z_]\w*)"(\s*:)', re.M)
_MISSING_COMMA_RE = re.compile(r'("|\d|true|false|null)(\s*\n\s*)(?=")')


def _decode_json(text: str) -> Any:
    """The decoded JSON value, or None when the text is not JSON (even after the repairs)."""
    try:
        return _loads(text)
    except (ValueError, RecursionError):
        pass
    repaired = _MISSING_COMMA_RE.sub(r'\1,\2', _BARE_KEY_RE.sub(r'\1"\2"\3', text))
    if repaired != text:
        try:
            value = _loads(repaired)
        except (ValueError, RecursionError):
            return None
        _logger.warning('teleum: repaired a malformed JSON answer (missing quote/comma)')
        return value
    return None


def _body_text(resp: requests.Response) -> str:
    raw = resp.content or b''
    try:
        return raw.decode('utf-8-sig')
    except UnicodeDecodeError:
        pass
    # an old PHP backend may well answer in windows-1251 without saying so
    declared = resp.encoding if 'charset=' in resp.headers.get('Content-Type', '').lower() else None
    for encoding in (declared, 'cp1251'):
        if encoding:
            try:
                return raw.decode(encoding)
            except (LookupError, UnicodeDecodeError):
                continue
    return raw.decode('utf-8', 'replace')


_ERROR_FLAGS = ('err', 'error')
_ERROR_MESSAGES = ('errmsg', 'errormsg', 'error_msg', 'error_message', 'errmessage')


def _api_error(payload: Mapping) -> str | None:
    """The API's error message if the payload is an error (``''`` if it has none), else None.

    Both styles of the page: ``err``/``errmsg`` and ``error``/``errormsg``.  A flag may be 0/1,
    "0"/"1", a bool, an HTTP-like code (401), or itself the message; a message without any flag
    is taken as an error too (``errormsg`` is "absent otherwise").
    """
    row = Row(payload, 'answer')
    flag = row.get(*_ERROR_FLAGS)
    message = row.get(*_ERROR_MESSAGES)
    message = '' if message is None else str(message).strip()
    if isinstance(flag, str) and flag.strip() and not re.fullmatch(r'\s*[+-]?\d+\s*', flag):
        if flag.strip().casefold() in ('false', 'no', 'ok', 'none', 'null'):
            return None
        if flag.strip().casefold() not in ('true', 'yes'):
            return message or flag.strip()  # "error": "SESSION ENDED"
        return message
    if is_empty(flag):
        return message or None
    if isinstance(flag, bool):
        return message if flag else None
    if isinstance(flag, Mapping | list):
        return message or json.dumps(flag, default=str)[:200]
    try:
        failed = Decimal(str(flag).strip()) != 0
    except ArithmeticError:
        failed = True
    return message if failed else None


def _session_ended_text(text: str) -> bool:
    return 'SESSIONENDED' in re.sub(r'[\s_\-]+', '', text.upper())


def _says_session_ended(payload: Any, text: str) -> bool:
    if isinstance(payload, Mapping):
        message = _api_error(payload)
        flag = Row(payload, 'answer').get(*_ERROR_FLAGS)
        return (message is not None
                and (_session_ended_text(message) or str(flag).strip() == '401'))
    # not a JSON object: a bare "SESSION ENDED" text (or JSON string) counts, a long page does not
    return len(text) < 500 and _session_ended_text(text)


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return '1' if value else '0'
    return str(value)


def _normalize_base_url(url: str | None) -> str:
    parts = urlsplit((url or DEFAULT_URL).strip())
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        raise ValueError(f'invalid Teleum base URL: {redact(url)!r}')
    path = parts.path or '/'
    if not path.endswith('/') and '.' not in path.rsplit('/', 1)[-1]:
        path += '/'  # ".../api/v3" and ".../api/v3/" alike; keep ".../index.php" as it is
    return urlunsplit((parts.scheme, parts.netloc, path, '', ''))


class TimeLimit:
    """What :func:`time_limit` yields: the deadline, and how long Teleum took to answer the
    requests sent within it (a request that timed out counts its full wait)."""

    def __init__(self, seconds: float | None) -> None:
        self.deadline = math.inf if seconds is None else time.monotonic() + seconds
        #: seconds each request of the block waited for its answer, in order
        self.waits: list[float] = []
        #: whether a request was refused because the deadline had passed
        self.reached = False

    @property
    def median(self) -> float:
        """Median answer time in seconds (0 when nothing was sent): one timeout among quick
        answers does not make a server slow."""
        return statistics.median(self.waits) if self.waits else 0.0


_limits = threading.local()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[TimeLimit]:
    """Within the block, no request of this thread (any client) starts after ``seconds``: it
    raises :class:`.errors.TeleumTimeUp` instead, unsent (a retry counts as a new request); the
    request under way when the time runs out is not cut short.  ``None``: no deadline, the
    answers are only timed.  The yielded :class:`TimeLimit` times the block's answers.  Per
    thread: a form sharing the client in another thread is not concerned."""
    limit = TimeLimit(seconds)
    outer = getattr(_limits, 'current', None)
    _limits.current = limit
    try:
        yield limit
    finally:
        _limits.current = outer


def current_time_limit() -> TimeLimit | None:
    """The innermost :func:`time_limit` of this thread, if any."""
    return getattr(_limits, 'current', None)


class TeleumTransport:
    """One account's HTTP side: session, login, retries, decoding; :class:`.client.TeleumClient`
    adds a typed method per API call on top.

    ``timeout`` is requests' ``(connect, read)`` seconds, used on every request.  ``retries`` is
    how many times a read is repeated after a transient failure (so ``retries + 1`` attempts),
    waiting ``backoff * 2**n`` seconds (capped at 30) before repeat ``n + 1``.  Dates are read in
    ``timezone`` (Teleum reports the account's local time).
    """

    def __init__(self, email: str, password: str, base_url: str = DEFAULT_URL,
                 timezone: str | tzinfo | None = 'Europe/Moscow',
                 timeout: float | tuple[float, float] = (5, 30), retries: int = 3,
                 backoff: float = 0.5, session: requests.Session | None = None,
                 user_agent: str | None = None) -> None:
        self.email = (email or '').strip()
        self._password = password or ''
        self.base_url = _normalize_base_url(base_url)
        self.tz = resolve_tz(timezone)
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = max(0.0, float(backoff))
        self._own_session = session is None
        self.session = session if session is not None else requests.Session()
        self.user_agent = user_agent or USER_AGENT
        #: number of HTTP requests sent, by API method (logins and repeats included)
        self.stats: Counter[str] = Counter()
        self._token: str | None = None
        self._vivaid: str | None = None
        self._account: str | None = None
        self._lock = threading.RLock()
        self._sleep: Callable[[float], None] = time.sleep  # replaceable in tests

    # ----------------------------------------------------------------- housekeeping

    def __repr__(self) -> str:
        state = 'logged in' if self._token else 'not logged in'
        return f'<{type(self).__name__} {self.email!r} at {redact(self.base_url)!r}, {state}>'

    def __enter__(self) -> TeleumTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP session if the client created it."""
        if self._own_session:
            self.session.close()

    @property
    def account(self) -> str | None:
        """Contract number from the last login."""
        return self._account

    @property
    def vivaid(self) -> str | None:
        return self._vivaid

    @property
    def logged_in(self) -> bool:
        return self._token is not None

    def forget_session(self) -> None:
        """Drop the token: the next call logs in again."""
        with self._lock:
            self._token = None

    def _scrub(self, text: Any) -> str:
        return redact(text, (self._password, self._token))

    # ----------------------------------------------------------------- transport

    def _request(self, cmd: str, params: Mapping[str, Any] | None = None) -> dict:
        """The single entry point of every API call; returns the decoded JSON object.

        Adds the session (logging in first if needed), repeats the call once after a re-login on
        SESSION ENDED, and retries reads (not writes) on transient failures.
        """
        params = {k: v for k, v in (params or {}).items() if v is not None}
        write = cmd in WRITE_METHODS
        if cmd == 'login':
            return self._with_retries(cmd, partial(self._exchange, cmd, params), write)
        for attempt in (1, 2):
            token, vivaid = self._credentials()
            full = {'token': token, 'vivaid': vivaid, **params}
            try:
                return self._with_retries(cmd, partial(self._exchange, cmd, full), write)
            except _SessionEnded:
                with self._lock:
                    if self._token == token:  # another thread may have logged in already
                        self._token = None
                _logger.info('teleum %s: session ended (try %d), logging in again', cmd, attempt)
        raise TeleumSessionError('The Teleum session ended again right after a new login; '
                                 'please try again later.', method=cmd)

    def _credentials(self) -> tuple[str, str]:
        with self._lock:
            if self._token is None:
                self.login()
            assert self._token is not None and self._vivaid is not None
            return self._token, self._vivaid

    def _with_retries(self, label: str, fn: Callable[[], T], write: bool) -> T:
        # A small explicit loop rather than urllib3's Retry: every Teleum method is a GET, writes
        # included, so urllib3's method-based rules cannot tell a write from a read; and several
        # transient failures (an HTML page or truncated JSON with status 200) show only once the
        # body is decoded, which urllib3 never does.
        attempts = 1 if write else self.retries + 1
        for attempt in range(attempts):
            try:
                return fn()
            except TeleumTransientError as exc:
                if attempt + 1 >= attempts:
                    raise
                delay = min(MAX_BACKOFF, self.backoff * 2 ** attempt)
                _logger.warning('teleum %s: %s Retry %d/%d in %.2fs.', label, exc.message,
                                attempt + 1, attempts - 1, delay)
                if delay:
                    self._sleep(delay)
        raise AssertionError('unreachable')  # pragma: no cover

    def _http_get(self, url: str, params: Mapping[str, Any] | None, label: str, *,
                  stream: bool = False, headers: Mapping[str, str] | None = None
                  ) -> requests.Response:
        """One GET with timeout and User-Agent; transport failures become redacted typed errors."""
        limit = current_time_limit()
        if limit is not None and time.monotonic() >= limit.deadline:
            limit.reached = True
            raise TeleumTimeUp(label)
        self.stats[label] += 1
        _logger.debug('teleum %s: GET %s params=%s', label, self._scrub(url),
                      redact_params(params))
        all_headers = {'User-Agent': self.user_agent, 'Accept': 'application/json, */*',
                       **(headers or {})}
        error: TeleumError
        started = time.monotonic()
        try:
            resp = self.session.get(url, params=params, headers=all_headers, timeout=self.timeout,
                                    stream=stream)
        # The exceptions' texts embed the full URL (token and password included): they are
        # neither chained nor quoted raw; a redacted copy goes to ``detail`` and the new error
        # is raised outside the except block so that it has no __context__ either.
        except requests.Timeout as exc:
            error = TeleumTransientError(f'Teleum did not answer in time ({label}).', method=label,
                                         detail=self._scrub(f'{type(exc).__name__}: {exc}'))
        except requests.ConnectionError as exc:
            error = TeleumTransientError(f'Cannot connect to Teleum ({label}).', method=label,
                                         detail=self._scrub(f'{type(exc).__name__}: {exc}'))
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema) as exc:
            error = TeleumError(f'Invalid Teleum URL ({label}).', method=label, code='config',
                                detail=self._scrub(f'{type(exc).__name__}: {exc}'))
        except requests.RequestException as exc:
            error = TeleumTransientError(f'Teleum request failed ({label}).', method=label,
                                         detail=self._scrub(f'{type(exc).__name__}: {exc}'))
        else:
            waited = time.monotonic() - started
            _logger.debug('teleum %s: HTTP %s in %.0f ms', label, resp.status_code, waited * 1000)
            if limit is not None:
                limit.waits.append(waited)
            return resp
        if limit is not None:
            limit.waits.append(time.monotonic() - started)
        raise error

    def _exchange(self, cmd: str, params: Mapping[str, Any]) -> dict:
        """One request/answer of ``cmd``: decoded payload, or a typed error / _SessionEnded."""
        resp = self._http_get(self.base_url, {'cmd': cmd, **{k: _param(v) for k, v in
                                                             params.items()}}, cmd)
        try:
            text = _body_text(resp)
        finally:
            resp.close()
        status = resp.status_code
        payload = _decode_json(text)
        if status == 401 or _says_session_ended(payload, text):
            if cmd == 'login':
                raise TeleumAuthError(self._api_message(payload) or 'Teleum refused the login.',
                                      method=cmd, status=status)
            raise _SessionEnded(cmd)
        if status in (408, 425, 429) or status >= 500:
            raise TeleumTransientError(f'Teleum answered HTTP {status} ({cmd}).', method=cmd,
                                       status=status, detail=self._scrub(text[:300]))
        message = _api_error(payload) if isinstance(payload, Mapping) else None
        if message is not None:
            if cmd == 'login':
                raise TeleumAuthError(self._scrub(message) or 'Teleum refused the login.',
                                      method=cmd, status=status)
            raise TeleumValidationError(self._scrub(message) or f'Teleum refused {cmd}.',
                                        method=cmd, status=status)
        if status >= 400:
            raise TeleumError(f'Teleum answered HTTP {status} ({cmd}).', method=cmd,
                              status=status, code='http', detail=self._scrub(text[:300]))
        if not isinstance(payload, Mapping):
            stripped = text.lstrip()[:200].lower()
            what = ('an empty answer' if not stripped else
                    'an HTML page' if stripped.startswith('<')
                    else 'malformed JSON' if payload is None else 'JSON that is not an object')
            raise TeleumTransientError(f'Teleum answered with {what} ({cmd}).', method=cmd,
                                       status=status, detail=self._scrub(text[:300]))
        return dict(payload)

    def _api_message(self, payload: Any) -> str:
        message = _api_error(payload) if isinstance(payload, Mapping) else None
        return self._scrub(message) if message else ''

    @staticmethod
    def _parse(cmd: str, parse: Callable[..., P], payload: Any, *args: Any) -> P:
        try:
            return parse(payload, *args)
        except TeleumValidationError as exc:
            exc.method = exc.method or cmd
            raise

    def login(self) -> LoginInfo:
        """Log in now (normally done lazily); raises TeleumAuthError on bad credentials."""
        if not self.email or not self._password:
            raise TeleumAuthError('The Teleum e-mail and password are required.', method='login')
        with self._lock:
            payload = self._request('login', {'email': self.email, 'paswd': self._password})
            info = self._parse('login', parse_login, payload)
            self._token, self._vivaid, self._account = info.token, info.vivaid, info.account
            _logger.debug('teleum: logged in as %s (vivaid %s)', self.email, info.vivaid)
            return info

