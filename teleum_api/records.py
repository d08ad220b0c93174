"""Typed records of the Teleum API v3 and the parsers that build them from response JSON.

The API page is loose about shapes, so every parser is tolerant:

* keys are looked up stripped of surrounding whitespace and case-insensitively (``" number "``),
  with the alternative names the page uses (``account``/``contract``, ``spis``/``sips``,
  ``billsecu``/``billsec``…); an empty value counts as missing when an alternative has one;
* numbers may come as strings or ints (or Decimals: the client decodes JSON floats as Decimal so
  that ids like ``29343264892364.232`` and amounts keep every digit); money becomes ``Decimal``,
  counts and durations ``int`` (seconds), flags ``bool``, ids ``str``;
* Teleum reports local wall-clock time: dates are made timezone-aware with the account's timezone
  (default Europe/Moscow);
* a list may come as a JSON array, as an object of objects (PHP's ``json_encode`` of an array with
  gaps) or as a single object;
* every record keeps the whole original object in ``raw`` (unknown keys are never fatal).

A parser either returns its record or raises :class:`TeleumValidationError` — except the call-row
parsers (:func:`parse_call`, :func:`parse_recording`), which never raise: a row that cannot be read
comes back with ``error`` set and ``raw`` kept, so that no call is ever dropped.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from .errors import TeleumValidationError

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # pragma: no cover - Python < 3.9
    ZoneInfo = None  # type: ignore[assignment,misc]
    ZoneInfoNotFoundError = KeyError  # type: ignore[assignment,misc]

DEFAULT_TIMEZONE = 'Europe/Moscow'
STATUSES = ('answered', 'no_answer', 'busy', 'failed', 'other')

T = TypeVar('T')


# --------------------------------------------------------------------------- records
# ``raw`` (the whole original object) is for inspection only: it is kept out of repr (noise, and
# the login answer holds the token), of equality and of hashing.

@dataclass(frozen=True, slots=True)
class LoginInfo:
    account: str
    token: str = field(repr=False)
    vivaid: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Balance:
    contract: str
    balance: Decimal
    vivaid: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    """One row of reportCalls.  ``call_date`` is aware (account timezone); None if unreadable."""

    src: str
    dst: str
    duration: int
    billsec: str
    disposition: str
    status: str
    call_date: datetime | None
    call_date_local: str
    rdr: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CallPage:
    count: int
    start: int
    calls: list[Call]
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    #: False when the server sent no ``counts``; ``count`` is then ``start + len(calls)``
    count_reported: bool = True


@dataclass(frozen=True, slots=True)
class Recording:
    file_id: str
    src: str
    dst: str
    duration: int
    disposition: str
    status: str
    call_date: datetime | None
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    billsec: str = ''
    call_date_local: str = ''
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Number:
    number: str
    number_formatted: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    #: the number's id, when the server sends one (getForwards wants a number id)
    id: str | None = None


@dataclass(frozen=True, slots=True)
class CallerIdNumber:
    id: str
    number_formatted: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ForwardType:
    id: str
    name: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class CallerIdType:
    id: str
    name: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ScheduleWindow:
    """Weekdays 1 (Monday) .. 7 (Sunday), both ends inclusive; 24:00 is read as 23:59:59."""

    day_from: int
    day_to: int
    start: time
    end: time
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Forward:
    id: str
    number_id: str
    type_id: str
    type_name: str
    target: str
    timeout: int
    callerid_type_id: str
    callerid_type_name: str
    callerid_number_id: str | None
    sequence: int
    record: bool
    deleted: bool
    vpbx: bool
    moh: bool
    schedule: list[ScheduleWindow]
    schedule_text: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    #: why ``dowjs2`` could not be read (``schedule`` is then empty); the forward itself is kept
    schedule_error: str | None = None


@dataclass(frozen=True, slots=True)
class ForwardTime:
    id: str
    start: time
    end: time
    day_from: int
    day_to: int
    day_from_name: str
    day_to_name: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class SipLine:
    id: str
    num: str
    email: str
    is_default: bool
    callerid: str
    description: str
    user_agent: str
    online: bool
    status: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class TariffGroup:
    id: str
    name: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Tariff:
    id: str
    name: str
    names: list[str]
    number_required: bool
    region_id: str | None
    region_name: str
    number_type_id: str | None
    number_type_name: str
    description: str
    connect_price: Decimal
    monthly_price: Decimal
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class ConnectedTariff:
    id: str
    cost: Decimal
    payment_type: str
    number_id: str | None
    number: str
    link_date: date | datetime | None
    name: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class NumberType:
    id: str
    name: str
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class FreeNumber:
    id: str
    number: str
    number_formatted: str
    type_id: str
    region_id: str
    cost: Decimal
    raw: dict = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class FreeNumbersPage:
    count: int
    series: list[tuple[str, str]]
    numbers: list[FreeNumber]
    raw: dict = field(default_factory=dict, repr=False, compare=False)
    start: int = 0
    count_reported: bool = True


# --------------------------------------------------------------------------- helpers

def resolve_tz(tz: str | tzinfo | None) -> tzinfo:
    """A tzinfo for a name (zoneinfo first, pytz as fallback) or a tzinfo passed through."""
    if isinstance(tz, tzinfo):
        return tz
    name = (tz or '').strip() or DEFAULT_TIMEZONE
    if ZoneInfo is not None:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        import pytz
        return pytz.timezone(name)
    except Exception:  # no pytz, or pytz.UnknownTimeZoneError (a KeyError)
        pass
    raise ValueError(f'unknown timezone {name!r}')


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    localize = getattr(tz, 'localize', None)  # pytz needs localize() to pick the right offset
    return localize(naive) if localize else naive.replace(tzinfo=tz)


def _bad(what: str, value: Any) -> TeleumValidationError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + '...'
    return TeleumValidationError(f'unreadable {what}: {shown}')


def _norm_key(key: Any) -> str:
    return str(key).strip().casefold()


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Row:
    """Tolerant read access to one JSON object: keys stripped + case-folded, alternatives."""

    __slots__ = ('_map', 'raw')

    def __init__(self, data: Any, what: str) -> None:
        if not isinstance(data, Mapping):
            raise TeleumValidationError(f'{what}: expected a JSON object, got {type(data).__name__}')
        self.raw: dict = dict(data)
        self._map: dict[str, Any] = {}
        for key, value in data.items():
            norm = _norm_key(key)
            # two spellings of one key (" link " and "link"): the first non-empty value wins
            if norm not in self._map or (_empty(self._map[norm]) and not _empty(value)):
                self._map[norm] = value

    def has(self, *names: str) -> bool:
        return any(n in self._map for n in names)

    def get(self, *names: str) -> Any:
        """First non-empty value among the (lower-case) names, else the first present, else None."""
        present = None
        for name in names:
            value = self._map.get(name)
            if not _empty(value):
                return value
            if present is None and name in self._map:
                present = value
        return present


def _text(value: Any, what: str = 'text') -> str:
    if value is None:
        return ''
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, 'f') if value.is_finite() and value.adjusted() < 30 else str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    raise _bad(what, value)


def _opt_id(value: Any, what: str = 'id') -> str | None:
    """An id where 0 / '' / missing mean 'none'."""
    text = _text(value, what)
    return None if text in ('', '0') else text


def _digits(value: Any, what: str = 'number') -> str:
    return re.sub(r'\D', '', _text(value, what))


_INT_RE = re.compile(r'[+-]?\d+')


def _int(value: Any, what: str = 'integer', default: int = 0) -> int:
    if _empty(value):
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().replace(' ', '')
        if _INT_RE.fullmatch(text) and len(text) <= 30:
            return int(text)
        value = _decimal(text, what)
    if isinstance(value, float):
        if value != value or value in (float('inf'), float('-inf')):
            raise _bad(what, value)
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite() or value.adjusted() > 30:
            raise _bad(what, value)
        return int(value)
    raise _bad(what, value)


_DEC_RE = re.compile(r'[+-]?(\d+([.,]\d*)?|[.,]\d+)')


def _decimal(value: Any, what: str = 'amount', default: Decimal | None = Decimal(0)) -> Decimal:
    if _empty(value):
        if default is None:
            raise _bad(what, value)
        return default
    if isinstance(value, bool):
        raise _bad(what, value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        text = re.sub(r'[\s\u00a0]', '', value)
        if ',' in text and '.' in text:  # "1,234.50": the comma groups thousands
            text = text.replace(',', '')
        if not _DEC_RE.fullmatch(text):
            raise _bad(what, value)
        result = Decimal(text.replace(',', '.'))
    else:
        raise _bad(what, value)
    if not result.is_finite() or (result and abs(result.adjusted()) > 30):
        raise _bad(what, value)
    return result


_TRUE = {'1', 'true', 'yes', 'y', 'on', 't', 'да'}
_FALSE = {'0', 'false', 'no', 'n', 'off', 'f', 'нет', 'null', 'none'}


def _bool(value: Any, what: str = 'flag') -> bool:
    if _empty(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, float | Decimal):
        if not (Decimal(value) if isinstance(value, float) else value).is_finite():
            raise _bad(what, value)
        return value != 0
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return _int(text, what) != 0
    raise _bad(what, value)


def _clock(hour: int, minute: int, second: int = 0, what: str = 'time') -> time:
    if (hour, minute, second) == (24, 0, 0):  # end of day
        return time(23, 59, 59)
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        raise _bad(what, f'{hour}:{minute}:{second}')
    return time(hour, minute, second)


def _time(value: Any, what: str = 'time') -> time:
    if isinstance(value, time):
        return value
    text = _text(value, what)
    match = re.fullmatch(r'(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?', text)
    if not match:
        raise _bad(what, value)
    return _clock(*(int(g or 0) for g in match.groups()), what=what)


def _weekday(value: Any, what: str = 'weekday') -> int:
    day = _int(value, what, default=-1)
    if day == 0:  # some systems count Sunday as 0
        day = 7
    if not 1 <= day <= 7:
        raise _bad(what, value)
    return day


_DATETIME_FORMATS = ('%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M',
                     '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M', '%Y-%m-%d %H:%M:%S.%f')
_DATE_FORMATS = ('%Y-%m-%d', '%d.%m.%Y')


def _datetime(value: Any, tz: tzinfo, what: str = 'date') -> datetime:
    """Local wall-clock text (or epoch seconds) -> aware datetime in ``tz``."""
    if _empty(value):
        raise TeleumValidationError(f'missing {what}')
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz)
        except (OverflowError, OSError, ValueError):
            raise _bad(what, value) from None
    text = ' '.join(_text(value, what).split())
    if len(text) == 19 and text[10] == ' ':  # the documented 'YYYY-mm-dd HH:MM:SS': the hot path
        try:
            return _localize(datetime.fromisoformat(text), tz)
        except ValueError:
            pass
    for fmt in _DATETIME_FORMATS:
        try:
            return _localize(datetime.strptime(text, fmt), tz)
        except ValueError:
            continue
    try:  # ISO 8601, possibly with an explicit offset
        parsed = datetime.fromisoformat(text)
        return parsed.astimezone(tz) if parsed.tzinfo else _localize(parsed, tz)
    except (ValueError, OverflowError):
        raise _bad(what, value) from None


def _date_or_datetime(value: Any, tz: tzinfo, what: str = 'date') -> date | datetime | None:
    if _empty(value) or _text(value, what) in ('0', '0000-00-00', '0000-00-00 00:00:00'):
        return None
    text = ' '.join(_text(value, what).split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return _datetime(value, tz, what)


_STATUS_BY_DISPOSITION = {
    'ANSWERED': 'answered', 'NO ANSWER': 'no_answer', 'NOANSWER': 'no_answer',
    'NO_ANSWER': 'no_answer', 'BUSY': 'busy', 'FAILED': 'failed',
    # the page describes the values in Russian too ("отвеченный, неотвеченный, сбой, занято")
    'ОТВЕЧЕННЫЙ': 'answered', 'НЕОТВЕЧЕННЫЙ': 'no_answer', 'НЕ ОТВЕЧЕННЫЙ': 'no_answer',
    'ЗАНЯТО': 'busy', 'СБОЙ': 'failed',
}
#: status -> the ``type`` filter value reportCalls expects
DISPOSITION_BY_STATUS = {'answered': 'ANSWERED', 'no_answer': 'NO ANSWER', 'busy': 'BUSY',
                         'failed': 'FAILED'}


def disposition_status(value: Any) -> str:
    """Map a disposition (any case/whitespace) to one of :data:`STATUSES`."""
    if not isinstance(value, str):
        return 'other'
    key = ' '.join(value.split()).upper()
    return _STATUS_BY_DISPOSITION.get(key, 'other')


def _duration(row: _Row) -> tuple[int, str]:
    """Seconds from ``billsecu``, else from ``billsec`` 'ss' / 'mm:ss' / 'hh:mm:ss'."""
    billsec = _text(row.get('billsec'), 'billsec')
    seconds_raw = row.get('billsecu', 'billsec_u', 'duration')
    if not _empty(seconds_raw):
        seconds = _int(seconds_raw, 'billsecu')
    elif billsec:
        parts = billsec.split(':')
        if len(parts) > 3 or not all(p.strip().isdigit() and p.isascii() for p in parts):
            raise _bad('billsec', billsec)
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + int(part)
    else:
        raise TeleumValidationError('missing duration (billsecu/billsec)')
    if seconds < 0:
        raise _bad('duration', seconds)
    return seconds, billsec


def _items(value: Any, what: str) -> list:
    """A JSON list, an object of objects, or one lone object -> list."""
    if _empty(value):
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        if value and all(isinstance(v, Mapping) for v in value.values()):
            return list(value.values())
        return [value]
    raise TeleumValidationError(f'{what}: expected a list, got {type(value).__name__}')


def _list(payload: Any, keys: tuple[str, ...], parse: Callable[[Any], T], what: str) -> list[T]:
    row = _Row(payload, what)
    return [parse(item) for item in _items(row.get(*keys), what)]


# --------------------------------------------------------------------------- parsers

def parse_login(payload: Any) -> LoginInfo:
    row = _Row(payload, 'login')
    token = _text(row.get('token'), 'token')
    vivaid = _text(row.get('vivaid', 'viva_id', 'userid'), 'vivaid')
    if not token or not vivaid:
        raise TeleumValidationError('login answer has no token/vivaid')
    return LoginInfo(account=_text(row.get('account', 'contract'), 'account'), token=token,
                     vivaid=vivaid, raw=row.raw)


def parse_balance(payload: Any) -> Balance:
    row = _Row(payload, 'balance')
    return Balance(contract=_text(row.get('contract', 'account'), 'contract'),
                   balance=_decimal(row.get('balance'), 'balance', default=None),
                   vivaid=_text(row.get('vivaid'), 'vivaid'), raw=row.raw)


def _call_fields(data: Any, tz: tzinfo) -> tuple[dict, list[str], _Row | None]:
    """The fields shared by a call row and a recording row, never raising."""
    errors: list[str] = []
    try:
        row = _Row(data, 'call row')
    except TeleumValidationError as exc:
        return ({'src': '', 'dst': '', 'duration': 0, 'billsec': '', 'disposition': '',
                 'status': 'other', 'call_date': None, 'call_date_local': ''},
                [exc.message], None)

    def attempt(fn: Callable[[], T], fallback: T) -> T:
        try:
            return fn()
        except TeleumValidationError as exc:
            errors.append(exc.message)
            return fallback

    duration, billsec = attempt(lambda: _duration(row), (0, ''))
    if not billsec:
        billsec = attempt(lambda: _text(row.get('billsec'), 'billsec'), '')
    disposition = attempt(lambda: _text(row.get('disposition', 'status'), 'disposition'), '')
    date_raw = row.get('calldate', 'call_date', 'date')

    def read_date() -> datetime:
        # calldate first; its formatted twin calldatef ("17.07.2015 12:12:35") as the fallback
        first_error = None
        for key, value in (('calldate', date_raw), ('calldatef', row.get('calldatef'))):
            if _empty(value):
                continue
            try:
                return _datetime(value, tz, key)
            except TeleumValidationError as exc:
                first_error = first_error or exc
        raise first_error or TeleumValidationError('missing calldate')

    call_date = attempt(read_date, None)
    local = (call_date.strftime('%Y-%m-%d %H:%M:%S') if call_date
             else attempt(lambda: _text(date_raw, 'calldate'), ''))
    fields = {
        'src': attempt(lambda: _text(row.get('src'), 'src'), ''),
        'dst': attempt(lambda: _text(row.get('dst'), 'dst'), ''),
        'duration': duration, 'billsec': billsec, 'disposition': disposition,
        'status': disposition_status(disposition), 'call_date': call_date,
        'call_date_local': local,
    }
    return fields, errors, row


def _raw_of(data: Any, row: _Row | None) -> dict:
    return row.raw if row is not None else {'value': data}


_CANONICAL_CALL_KEYS = frozenset(('src', 'dst', 'billsec', 'disposition', 'calldate', 'calldatef', 'billsecu',
                                  'rdr'))
_CANONICAL_RECORDING_KEYS = _CANONICAL_CALL_KEYS | {'id'}


@lru_cache(maxsize=4096)
def _hour_zone(tz: tzinfo, hour: datetime) -> tzinfo:
    """The zone (with its offset) of a local hour: offsets change on whole hours only."""
    return _localize(hour, tz).tzinfo


def _fast_fields(data: Any, tz: tzinfo, keys: frozenset) -> dict | None:
    """The documented row shape, read without the tolerant machinery (imports read 100,000s of
    rows). Anything unusual returns None and goes the tolerant way, which gives the same result."""
    if type(data) is not dict or not keys.issuperset(data):
        return None
    try:
        seconds, date = data['billsecu'].strip(), data['calldate'].strip()
        disposition = data.get('disposition', '').strip()
        fields = {'src': data['src'].strip(), 'dst': data['dst'].strip(), 'billsec': data.get('billsec', '').strip(),
                  'disposition': disposition, 'rdr': data.get('rdr', '').strip()}
    except (KeyError, AttributeError):  # missing, or not a string
        return None
    if not (seconds.isdigit() and seconds.isascii() and len(date) == 19 and date[10] == ' '):
        return None
    try:
        naive = datetime.fromisoformat(date)
    except ValueError:
        return None
    fields.update(duration=int(seconds), status=disposition_status(disposition), call_date_local=date,
                  call_date=naive.replace(tzinfo=_hour_zone(tz, naive.replace(minute=0, second=0))))
    return fields


def parse_call(data: Any, tz: str | tzinfo | None = None) -> Call:
    """One reportCalls row -> Call.  Never raises: problems go to ``error``."""
    zone = resolve_tz(tz)
    fast = _fast_fields(data, zone, _CANONICAL_CALL_KEYS)
    if fast is not None:
        return Call(**fast, raw=dict(data))
    fields, errors, row = _call_fields(data, zone)
    rdr = ''
    if row is not None:
        try:
            rdr = _text(row.get('rdr'), 'rdr')
        except TeleumValidationError as exc:
            errors.append(exc.message)
    return Call(**fields, rdr=rdr, raw=_raw_of(data, row), error='; '.join(errors) or None)


def parse_call_page(payload: Any, tz: str | tzinfo | None = None, start: int = 0) -> CallPage:
    row = _Row(payload, 'reportCalls')
    zone = resolve_tz(tz)
    calls = [parse_call(item, zone) for item in _items(row.get('calls'), 'calls')]
    reported = row.get('counts', 'count', 'total')
    if _empty(reported):
        return CallPage(start + len(calls), start, calls, row.raw, count_reported=False)
    return CallPage(_int(reported, 'counts'), start, calls, row.raw)


def parse_recording(data: Any, tz: str | tzinfo | None = None) -> Recording:
    """One getRecordsList row -> Recording.  Never raises: problems go to ``error``."""
    zone = resolve_tz(tz)
    fast = _fast_fields(data, zone, _CANONICAL_RECORDING_KEYS)
    if fast is not None and isinstance(data.get('id'), str) and data['id'].strip():
        del fast['rdr']
        return Recording(file_id=data['id'].strip(), **fast, raw=dict(data))
    fields, errors, row = _call_fields(data, zone)
    file_id = ''
    if row is not None:
        try:
            file_id = _text(row.get('id', 'fileid', 'file_id'), 'id')
        except TeleumValidationError as exc:
            errors.append(exc.message)
        if not file_id and not errors:
            errors.append('missing id')
    local, billsec = fields.pop('call_date_local'), fields.pop('billsec')
    return Recording(file_id=file_id, **fields, raw=_raw_of(data, row), billsec=billsec,
                     call_date_local=local, error='; '.join(errors) or None)


def parse_records_list(payload: Any, tz: str | tzinfo | None = None) -> list[Recording]:
    zone = resolve_tz(tz)
    row = _Row(payload, 'getRecordsList')
    return [parse_recording(item, zone)
            for item in _items(row.get('records', 'calls', 'files'), 'records')]


def parse_record_link(payload: Any) -> str:
    link = _text(_Row(payload, 'getRecordLink').get('link', 'url', 'href'), 'link')
    if not link:
        raise TeleumValidationError('getRecordLink answered without a link')
    return link


def parse_number(data: Any) -> Number:
    row = _Row(data, 'number')
    formatted = _text(row.get('numberform', 'number_form', 'numf'), 'numberform')
    number = _digits(row.get('number', 'num', 'e164'), 'number') or _digits(formatted)
    return Number(number=number, number_formatted=formatted, raw=row.raw,
                  id=_opt_id(row.get('id', 'nid', 'numberid', 'number_id')))


def parse_connected_numbers(payload: Any) -> list[Number]:
    row = _Row(payload, 'getConnectedNumbers')
    if not row.has('numbers') and row.has('number', 'numberform'):
        return [parse_number(payload)]  # the page's example: one flat number object
    return [parse_number(item) for item in _items(row.get('numbers'), 'numbers')]


def parse_rcid(data: Any) -> CallerIdNumber:
    row = _Row(data, 'rcid')
    return CallerIdNumber(id=_text(row.get('id', 'rcid', 'nid'), 'id'),
                          number_formatted=_text(row.get('numberform', 'number', 'name'),
                                                 'numberform'),
                          raw=row.raw)


def parse_rcids(payload: Any) -> list[CallerIdNumber]:
    return _list(payload, ('rcids', 'rcid'), parse_rcid, 'getRCIDs')


def _id_name(data: Any, what: str) -> tuple[str, str, dict]:
    row = _Row(data, what)
    return _text(row.get('id'), 'id'), _text(row.get('name', 'title'), 'name'), row.raw


def parse_forward_type(data: Any) -> ForwardType:
    return ForwardType(*_id_name(data, 'forward type'))


def parse_forward_types(payload: Any) -> list[ForwardType]:
    return _list(payload, ('forwardtypes', 'forwardstypes', 'types'), parse_forward_type,
                 'getForwardsTypes')


def _json_value(value: Any) -> Any:
    """Decode a JSON string, tolerating double encoding and the page's bare outer quotes."""
    for _ in range(3):
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None
        try:
            value = json.loads(text)
            continue
        except (ValueError, RecursionError):
            pass
        if len(text) > 2 and text[0] == text[-1] == '"' and text[1] in '[{':
            try:  # "[{"ttsh":…}]": bare outer quotes, exactly as printed on the page
                value = json.loads(text[1:-1])
                continue
            except (ValueError, RecursionError):
                pass
        raise _bad('schedule JSON', value)
    return value


def parse_schedule(value: Any) -> list[ScheduleWindow]:
    """``dowjs2`` (a JSON string, or already decoded) -> windows.  Raises on a bad window."""
    windows = []
    for item in _items(_json_value(value), 'schedule'):
        row = _Row(item, 'schedule window')
        windows.append(ScheduleWindow(
            day_from=_weekday(row.get('dts'), 'dts'), day_to=_weekday(row.get('dtf'), 'dtf'),
            start=_clock(_int(row.get('ttsh'), 'ttsh'), _int(row.get('ttsm'), 'ttsm'),
                         what='start time'),
            end=_clock(_int(row.get('ttfh'), 'ttfh'), _int(row.get('ttfm'), 'ttfm'),
                       what='end time'),
            raw=row.raw))
    return windows


def parse_forward(data: Any, number_id: str | None = None) -> Forward:
    row = _Row(data, 'forward')
    schedule: list[ScheduleWindow] = []
    schedule_error = None
    try:
        schedule = parse_schedule(row.get('dowjs2', 'dowjs', 'schedule'))
    except TeleumValidationError as exc:
        schedule_error = exc.message
    return Forward(
        id=_text(row.get('id'), 'id'),
        number_id=_text(row.get('nid', 'numberid', 'number_id') or number_id, 'number id'),
        type_id=_text(row.get('rtype', 'type'), 'rtype'),
        type_name=_text(row.get('rtname', 'typename'), 'rtname'),
        target=_text(row.get('rnum'), 'rnum'),
        timeout=_int(row.get('rtime', 'timeout'), 'rtime'),
        callerid_type_id=_text(row.get('rcid'), 'rcid'),
        callerid_type_name=_text(row.get('cname'), 'cname'),
        callerid_number_id=_opt_id(row.get('rcnid'), 'rcnid'),
        sequence=_int(row.get('direction', 'sequence'), 'direction'),
        record=_bool(row.get('rec'), 'rec'), deleted=_bool(row.get('deleted'), 'deleted'),
        vpbx=_bool(row.get('vpbx'), 'vpbx'), moh=_bool(row.get('moh'), 'moh'),
        schedule=schedule, schedule_text=_text(row.get('times'), 'times'),
        raw=row.raw, schedule_error=schedule_error)


def parse_forwards(payload: Any, number_id: str | None = None) -> list[Forward]:
    row = _Row(payload, 'getForwards')
    nid = _text(row.get('number', 'numberid', 'nid'), 'number') or number_id
    return [parse_forward(item, nid) for item in _items(row.get('forwards'), 'forwards')]


def parse_forward_time(data: Any) -> ForwardTime:
    row = _Row(data, 'forward time')
    return ForwardTime(
        id=_text(row.get('id'), 'id'),
        start=_time(row.get('starttime', 'start'), 'startTime'),
        end=_time(row.get('finishtime', 'endtime', 'finish'), 'finishTime'),
        day_from=_weekday(row.get('startdayofweek'), 'startDayOfWeek'),
        day_to=_weekday(row.get('finishdayofweek'), 'finishDayOfWeek'),
        day_from_name=_text(row.get('startdayofweekword'), 'startDayOfWeekWord'),
        day_to_name=_text(row.get('finishdayofweekword'), 'finishDayOfWeekWord'),
        raw=row.raw)


def parse_forward_times(payload: Any) -> list[ForwardTime]:
    return _list(payload, ('forwardtimes', 'times'), parse_forward_time, 'getForwardTimes')


def parse_callerid_type(data: Any) -> CallerIdType:
    return CallerIdType(*_id_name(data, 'caller-ID type'))


def parse_forward_rcids(payload: Any) -> list[CallerIdType]:
    return _list(payload, ('forwardrcids', 'rcids'), parse_callerid_type, 'getForwardsRCIDs')


_ONLINE = {'online', 'онлайн', 'on', '1', 'true', 'registered', 'ok'}


def parse_sip(data: Any) -> SipLine:
    row = _Row(data, 'SIP line')
    status = _text(row.get('status'), 'status')
    user_agent = _text(row.get('uagent', 'useragent', 'user_agent'), 'uagent')
    online = status.casefold() in _ONLINE if status else bool(user_agent)
    return SipLine(id=_text(row.get('id'), 'id'), num=_text(row.get('num', 'number'), 'num'),
                   email=_text(row.get('email'), 'email'),
                   is_default=_bool(row.get('def', 'default'), 'def'),
                   callerid=_text(row.get('rcid', 'callerid'), 'rcid'),
                   description=_text(row.get('descr', 'description'), 'descr'),
                   user_agent=user_agent, online=online, status=status, raw=row.raw)


def parse_sips(payload: Any) -> list[SipLine]:
    # the page names the array "spis" in the answer and "sips" in its format title
    return _list(payload, ('spis', 'sips', 'sip'), parse_sip, 'getSIPs')


def parse_next_sip(payload: Any) -> str:
    num = _text(_Row(payload, 'getNextSIP').get('num', 'number'), 'num')
    if not num:
        raise TeleumValidationError('getNextSIP answered without num')
    return num


def parse_id(payload: Any, what: str, *keys: str) -> str:
    """The ``id`` a write method answers with."""
    value = _text(_Row(payload, what).get(*(keys or ('id',))), 'id')
    if not value:
        raise TeleumValidationError(f'{what} answered without an id')
    return value


def parse_edit_sip(payload: Any) -> tuple[str, str]:
    row = _Row(payload, 'editSIP')
    sip_id = _text(row.get('id'), 'id')
    if not sip_id:
        raise TeleumValidationError('editSIP answered without an id')
    return sip_id, _text(row.get('num', 'number'), 'num')


def parse_tariff_group(data: Any) -> TariffGroup:
    return TariffGroup(*_id_name(data, 'tariff group'))


def parse_tariff_groups(payload: Any) -> list[TariffGroup]:
    return _list(payload, ('tariffgroups', 'groups'), parse_tariff_group, 'getTariffGroups')


def _names(value: Any) -> list[str]:
    """``name_lng``: a list (of strings or {lang: name} objects), an object, or a JSON string."""
    if isinstance(value, str) and value.strip()[:1] in ('[', '{'):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            pass
    if _empty(value):
        return []
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, Mapping):
            names.extend(_text(v, 'name_lng') for v in item.values()
                         if not isinstance(v, Mapping | list))
        elif not isinstance(item, list):
            names.append(_text(item, 'name_lng'))
    return [n for n in names if n]


def parse_tariff(data: Any) -> Tariff:
    row = _Row(data, 'tariff')
    required = _bool(row.get('numreq'), 'numreq')
    type_id = _text(row.get('numtype'), 'numtype')
    return Tariff(
        id=_text(row.get('id'), 'id'), name=_text(row.get('name'), 'name'),
        names=_names(row.get('name_lng')), number_required=required,
        # per the page, numreg means a region only when numreq and numreg are both non-zero
        region_id=_opt_id(row.get('numreg'), 'numreg') if required else None,
        region_name=_text(row.get('numreg_name'), 'numreg_name'),
        number_type_id=type_id or None,  # "usually 0": 0 is a real type here, kept as '0'
        number_type_name=_text(row.get('numtype_name'), 'numtype_name'),
        description=_text(row.get('textf', 'descr', 'description'), 'textf'),
        connect_price=_decimal(row.get('connectprice', 'connect_price'), 'connectPrice'),
        monthly_price=_decimal(row.get('aboprice', 'abo_price'), 'aboPrice'),
        raw=row.raw)


def parse_tariffs(payload: Any) -> list[Tariff]:
    return _list(payload, ('tariffs',), parse_tariff, 'getTariffs')


def parse_connected_tariff(data: Any, tz: str | tzinfo | None = None) -> ConnectedTariff:
    row = _Row(data, 'connected tariff')
    return ConnectedTariff(
        id=_text(row.get('id'), 'id'), cost=_decimal(row.get('cost'), 'cost'),
        payment_type=_text(row.get('pcost'), 'pcost'),
        number_id=_opt_id(row.get('nid'), 'nid'), number=_text(row.get('numf', 'number'), 'numf'),
        link_date=_date_or_datetime(row.get('link_date', 'linkdate'), resolve_tz(tz), 'link_date'),
        name=_text(row.get('name'), 'name'), raw=row.raw)


def parse_connected_tariffs(payload: Any, tz: str | tzinfo | None = None) -> list[ConnectedTariff]:
    zone = resolve_tz(tz)
    return _list(payload, ('connected', 'tariffs'), lambda d: parse_connected_tariff(d, zone),
                 'getConnectedTariffs')


def parse_connect_tariff(payload: Any) -> str | None:
    return _opt_id(_Row(payload, 'connectTariff').get('numid', 'id'), 'numid')


def parse_number_type(data: Any) -> NumberType:
    return NumberType(*_id_name(data, 'number type'))


def parse_number_types(payload: Any) -> list[NumberType]:
    return _list(payload, ('numbertypes', 'numberstypes', 'types'), parse_number_type,
                 'getNumbersTypes')


def parse_free_number(data: Any) -> FreeNumber:
    row = _Row(data, 'free number')
    formatted = _text(row.get('numberform'), 'numberform')
    return FreeNumber(
        id=_text(row.get('id'), 'id'),
        number=_digits(row.get('number'), 'number') or _digits(formatted),
        number_formatted=formatted, type_id=_text(row.get('ntype'), 'ntype'),
        region_id=_text(row.get('nregion'), 'nregion'), cost=_decimal(row.get('cost'), 'cost'),
        raw=row.raw)


def _serie(data: Any) -> tuple[str, str]:
    if not isinstance(data, Mapping):
        serie = _text(data, 'serie')
        return serie, serie
    row = _Row(data, 'number series')
    return (_text(row.get('serie', 'series'), 'serie'),
            _text(row.get('serie_form', 'serieform'), 'serie_form'))


def parse_free_numbers_page(payload: Any, start: int = 0) -> FreeNumbersPage:
    row = _Row(payload, 'getFreeNumbers')
    numbers = [parse_free_number(item) for item in _items(row.get('freenumbers'), 'freeNumbers')]
    series = [_serie(item) for item in _items(row.get('numbersseries', 'series'), 'numbersSeries')]
    reported = row.get('numberscount', 'count', 'counts')
    if _empty(reported):
        return FreeNumbersPage(start + len(numbers), series, numbers, row.raw, start, False)
    return FreeNumbersPage(_int(reported, 'numbersCount'), series, numbers, row.raw, start)
