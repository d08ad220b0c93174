"""The Teleum API v3 client: sessions, retries, typed errors, paging, redacted logging.

Every API call goes through :meth:`TeleumClient._request`, which

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
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import tzinfo
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests

from . import records as R
from .errors import TeleumAuthError, TeleumError, TeleumSessionError, TeleumTransientError, TeleumValidationError
from .paging import count_is_total, listing_ends, same_rows
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
    row = R._Row(payload, 'answer')
    flag = row.get(*_ERROR_FLAGS)
    message = row.get(*_ERROR_MESSAGES)
    message = '' if message is None else str(message).strip()
    if isinstance(flag, str) and flag.strip() and not re.fullmatch(r'\s*[+-]?\d+\s*', flag):
        if flag.strip().casefold() in ('false', 'no', 'ok', 'none', 'null'):
            return None
        if flag.strip().casefold() not in ('true', 'yes'):
            return message or flag.strip()  # "error": "SESSION ENDED"
        return message
    if R._empty(flag):
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
        flag = R._Row(payload, 'answer').get(*_ERROR_FLAGS)
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


# --------------------------------------------------------------------------- the client

class TeleumClient:
    """Typed client of the Teleum API v3 (one account).

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
        self.tz = R.resolve_tz(timezone)
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
        return f'<TeleumClient {self.email!r} at {redact(self.base_url)!r}, {state}>'

    def __enter__(self) -> TeleumClient:
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
            _logger.debug('teleum %s: HTTP %s in %.0f ms', label, resp.status_code,
                          (time.monotonic() - started) * 1000)
            return resp
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

    def _walk(self, fetch: Callable[[int], P], rows: Callable[[P], list], page_size: int,
              start: int) -> Iterator[P]:
        """Pages from ``start`` on, lazily, until the listing certainly ends (see :mod:`.paging`).

        A short page is not the end (the server may cap the rows per answer): an empty page is,
        or reaching a reported count larger than the page.  A page that repeats the first one row
        for row means the server ignores ``start``: the first page was the whole listing, and
        the repeat is dropped (identical rows inside a page -- real duplicates -- are kept), unless a
        count larger than that page says the listing goes on (a run of identical rows).
        """
        if page_size < 1:
            raise ValueError('page_size must be positive')
        offset, first, previous = start, None, None
        while True:
            page = fetch(offset)
            items = rows(page)
            more = page.count_reported and page.count > offset  # the count says rows remain unread
            if (same_rows(first, items) or same_rows(previous, items)) and not (
                    more and count_is_total(len(items), page.count, page.count_reported)):
                _logger.info('teleum: start=%d answered a page again (the server ignores start); '
                             'stopping', offset)
                return
            yield page
            if first is None:
                first = items
            previous = items
            offset += len(items)
            if listing_ends(offset, len(items), page.count, page.count_reported):
                return

    # ----------------------------------------------------------------- account

    def login(self) -> R.LoginInfo:
        """Log in now (normally done lazily); raises TeleumAuthError on bad credentials."""
        if not self.email or not self._password:
            raise TeleumAuthError('The Teleum e-mail and password are required.', method='login')
        with self._lock:
            payload = self._request('login', {'email': self.email, 'paswd': self._password})
            info = self._parse('login', R.parse_login, payload)
            self._token, self._vivaid, self._account = info.token, info.vivaid, info.account
            _logger.debug('teleum: logged in as %s (vivaid %s)', self.email, info.vivaid)
            return info

    def balance(self) -> R.Balance:
        return self._parse('balance', R.parse_balance, self._request('balance'))

    # ----------------------------------------------------------------- calls and recordings

    @staticmethod
    def _disposition(value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        key = ' '.join(value.split())
        if key.lower() in R.DISPOSITION_BY_STATUS:
            return R.DISPOSITION_BY_STATUS[key.lower()]
        if key.upper() in R.DISPOSITION_BY_STATUS.values():
            return key.upper()
        if key.upper() == 'NOANSWER':
            return 'NO ANSWER'
        raise ValueError(f'unknown disposition filter {value!r}')

    def report_calls(self, year: int, month: int, disposition: str | None = None,
                     start: int = 0, limit: int = 500) -> R.CallPage:
        """One page of the call report.  ``disposition``: 'answered'/'ANSWERED', 'no_answer'…"""
        payload = self._request('reportCalls', {
            'y': int(year), 'm': int(month), 'type': self._disposition(disposition),
            'start': int(start), 'limit': int(limit)})
        return self._parse('reportCalls', R.parse_call_page, payload, self.tz, int(start))

    def iter_call_pages(self, year: int, month: int, disposition: str | None = None,
                        page_size: int = 500, start: int = 0) -> Iterator[R.CallPage]:
        return self._walk(lambda s: self.report_calls(year, month, disposition, s, page_size),
                          lambda page: page.calls, page_size, start)

    def iter_calls(self, year: int, month: int, disposition: str | None = None,
                   page_size: int = 500, start: int = 0) -> Iterator[R.Call]:
        for page in self.iter_call_pages(year, month, disposition, page_size, start):
            yield from page.calls

    def get_records_list(self, year: int, month: int) -> list[R.Recording]:
        payload = self._request('getRecordsList', {'y': int(year), 'm': int(month)})
        return self._parse('getRecordsList', R.parse_records_list, payload, self.tz)

    def get_record_link(self, file_id: str) -> str:
        """Download link of a recording (absolute; a relative link is resolved on base_url)."""
        payload = self._request('getRecordLink', {'fileid': file_id})
        return urljoin(self.base_url, self._parse('getRecordLink', R.parse_record_link, payload))

    def download(self, url: str, headers: Mapping[str, str] | None = None,
                 stream: bool = True) -> requests.Response:
        """GET a recording link; the caller reads (``iter_content``) and closes the response.

        Retried like a read on transient failures; 4xx (e.g. an expired link) raises
        TeleumValidationError.  Messages never show the link's query string.
        """
        url = urljoin(self.base_url, url)

        def get() -> requests.Response:
            resp = self._http_get(url, None, 'download', stream=stream, headers=headers)
            status = resp.status_code
            if status < 400:
                return resp
            resp.close()
            if status in (408, 425, 429) or status >= 500:
                raise TeleumTransientError(f'The recording server answered HTTP {status}.',
                                           method='download', status=status)
            raise TeleumValidationError(
                f'The recording is not available (HTTP {status}); the link may have expired.',
                method='download', status=status)

        return self._with_retries('download', get, write=False)

    def download_bytes(self, url: str, max_bytes: int | None = None) -> bytes:
        """The whole file behind a recording link, checked against its Content-Length: a transfer
        that breaks off can end without an error, and a half file must not pass for the recording."""
        resp = self.download(url)
        try:
            chunks, size = [], 0
            for chunk in resp.iter_content(64 * 1024):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise TeleumValidationError(f'The recording is larger than {max_bytes} bytes.',
                                                method='download')
                chunks.append(chunk)
        except requests.RequestException:
            raise TeleumTransientError('The recording download broke off.', method='download') from None
        finally:
            resp.close()
        expected = resp.headers.get('Content-Length')
        if expected and expected.isdigit() and not resp.headers.get('Content-Encoding') and int(expected) != size:
            raise TeleumTransientError(f'The recording download broke off ({size} of {expected} bytes).',
                                       method='download')
        return b''.join(chunks)

    # ----------------------------------------------------------------- numbers and forwards

    def get_connected_numbers(self) -> list[R.Number]:
        return self._parse('getConnectedNumbers', R.parse_connected_numbers,
                           self._request('getConnectedNumbers'))

    def get_rcids(self) -> list[R.CallerIdNumber]:
        return self._parse('getRCIDs', R.parse_rcids, self._request('getRCIDs'))

    def get_forwards_types(self) -> list[R.ForwardType]:
        return self._parse('getForwardsTypes', R.parse_forward_types,
                           self._request('getForwardsTypes'))

    def get_forwards(self, number_id: str | int) -> list[R.Forward]:
        payload = self._request('getForwards', {'numberid': number_id})
        return self._parse('getForwards', R.parse_forwards, payload, str(number_id))

    def get_forward_times(self, forward_id: str | int) -> list[R.ForwardTime]:
        return self._parse('getForwardTimes', R.parse_forward_times,
                           self._request('getForwardTimes', {'id': forward_id}))

    def get_forwards_rcids(self) -> list[R.CallerIdType]:
        return self._parse('getForwardsRCIDs', R.parse_forward_rcids,
                           self._request('getForwardsRCIDs'))

    def _written_id(self, cmd: str, payload: dict, fallback: str | int | None) -> str:
        """The id a write answered with; the id we sent if the answer lacks one (the write
        happened: failing now would only mislead the caller)."""
        try:
            return R.parse_id(payload, cmd)
        except TeleumValidationError:
            if fallback in (None, '', 0, '0'):
                raise
            return str(fallback)

    def edit_forward(self, forward_id: str | int = 0, *, type_id: str | int,
                     number_id: str | int, timeout: int, callerid_type_id: str | int,
                     target: str, callerid_number_id: str | int | None = None,
                     isolated: bool = False, record: bool = False, vpbx: bool = False,
                     moh: bool = False) -> str:
        """Create (``forward_id=0``) or change a forward; returns its id.  Never retried."""
        payload = self._request('editForward', {
            'id': forward_id or 0, 'rtype': type_id, 'nid': number_id, 'timeout': int(timeout),
            'rcid': callerid_type_id, 'rcnid': callerid_number_id, 'isolated': isolated,
            'rec': record, 'vpbx': vpbx, 'moh': moh, 'rnum': target})
        return self._written_id('editForward', payload, forward_id)

    def delete_forward(self, forward_id: str | int) -> str:
        payload = self._request('deleteForward', {'id': forward_id})
        return self._written_id('deleteForward', payload, forward_id)

    def move_forward(self, forward_id: str | int, direction: str) -> str:
        """Move a forward ``'up'`` or ``'down'`` in the order the forwards run."""
        direction = (direction or '').strip().lower()
        if direction not in ('up', 'down'):
            raise ValueError("direction must be 'up' or 'down'")
        payload = self._request('moveForward', {'id': forward_id, 'dir': direction})
        return self._written_id('moveForward', payload, forward_id)

    # ----------------------------------------------------------------- SIP lines

    def get_sips(self) -> list[R.SipLine]:
        return self._parse('getSIPs', R.parse_sips, self._request('getSIPs'))

    def get_next_sip(self) -> str:
        return self._parse('getNextSIP', R.parse_next_sip, self._request('getNextSIP'))

    def edit_sip(self, sip_id: str | int = 0, *, email: str, description: str,
                 callerid: str | int, password: str | None = None) -> tuple[str, str]:
        """Create (``sip_id=0``) or change a SIP line; returns ``(id, num)``.  Never retried."""
        payload = self._request('editSIP', {'id': sip_id or 0, 'email': email,
                                            'descr': description, 'rcid': callerid,
                                            'paswd': password})
        try:
            return R.parse_edit_sip(payload)
        except TeleumValidationError:
            if sip_id in (None, '', 0, '0'):
                raise
            return str(sip_id), R._text(R._Row(payload, 'editSIP').get('num'), 'num')

    def delete_sip(self, sip_id: str | int) -> str:
        return self._written_id('deleteSIP', self._request('deleteSIP', {'id': sip_id}), sip_id)

    # ----------------------------------------------------------------- tariffs

    def get_tariff_groups(self) -> list[R.TariffGroup]:
        return self._parse('getTariffGroups', R.parse_tariff_groups,
                           self._request('getTariffGroups'))

    def get_tariffs(self, group_id: str | int) -> list[R.Tariff]:
        """Tariffs of a group.

        The page's own example calls this ``cmd=getTariffGroups&tg=…``: if the server refuses
        ``getTariffs``, that spelling is tried once and used only if it answers with tariffs;
        otherwise the original refusal is raised.
        """
        refusal: TeleumValidationError | None = None
        try:
            payload = self._request('getTariffs', {'tg': group_id})
        except TeleumValidationError as exc:
            refusal = exc
        if refusal is None:
            return self._parse('getTariffs', R.parse_tariffs, payload)
        try:
            alt = self._request('getTariffGroups', {'tg': group_id})
        except TeleumValidationError:
            alt = {}
        if not R._Row(alt, 'getTariffGroups').has('tariffs'):
            raise refusal
        _logger.info('teleum: getTariffs refused, the page\'s getTariffGroups&tg= spelling worked')
        return self._parse('getTariffs', R.parse_tariffs, alt)

    def get_connected_tariffs(self) -> list[R.ConnectedTariff]:
        return self._parse('getConnectedTariffs', R.parse_connected_tariffs,
                           self._request('getConnectedTariffs'), self.tz)

    def connect_tariff(self, tariff_id: str | int, number_id: str | int | None = None
                       ) -> str | None:
        """Connect a tariff (with a number from get_free_numbers if it needs one); returns the
        number id the server reports (or the one sent).  Never retried."""
        payload = self._request('connectTariff', {'tarid': tariff_id, 'numid': number_id})
        numid = self._parse('connectTariff', R.parse_connect_tariff, payload)
        return numid if numid is not None else (None if number_id is None else str(number_id))

    def get_numbers_types(self) -> list[R.NumberType]:
        return self._parse('getNumbersTypes', R.parse_number_types,
                           self._request('getNumbersTypes'))

    def get_free_numbers(self, region_id: str | int, type_id: str | int, start: int = 0,
                         limit: int = 50, serie: str | None = None) -> R.FreeNumbersPage:
        payload = self._request('getFreeNumbers', {'nr': region_id, 'nt': type_id,
                                                   'start': int(start), 'limit': int(limit),
                                                   'serie': serie or None})
        return self._parse('getFreeNumbers', R.parse_free_numbers_page, payload, int(start))

    def iter_free_numbers(self, region_id: str | int, type_id: str | int,
                          serie: str | None = None, page_size: int = 50,
                          start: int = 0) -> Iterator[R.FreeNumber]:
        pages = self._walk(
            lambda s: self.get_free_numbers(region_id, type_id, s, page_size, serie),
            lambda page: page.numbers, page_size, start)
        for page in pages:
            yield from page.numbers
