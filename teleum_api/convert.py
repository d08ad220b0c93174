"""Tolerant conversion of the values the Teleum API sends, shared by every parser.

The API page is loose about shapes, so every conversion is forgiving:

* keys are looked up stripped of surrounding whitespace and case-insensitively (``" number "``),
  with the alternative names the page uses (:class:`Row`); an empty value counts as missing when
  an alternative has one;
* numbers may come as strings or ints (or Decimals: the client decodes JSON floats as Decimal so
  that ids like ``29343264892364.232`` and amounts keep every digit); money becomes ``Decimal``,
  counts and durations ``int``, flags ``bool``, ids ``str``;
* Teleum reports local wall-clock time: dates are made timezone-aware with the account's timezone
  (default Europe/Moscow);
* a list may come as a JSON array, as an object of objects (PHP's ``json_encode`` of an array with
  gaps) or as a single object (:func:`items`).

A value that cannot be read raises :class:`TeleumValidationError` naming what it was.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from typing import Any

from .errors import TeleumValidationError

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
except ImportError:  # pragma: no cover - Python < 3.9
    ZoneInfo = None  # type: ignore[assignment,misc]
    ZoneInfoNotFoundError = KeyError  # type: ignore[assignment,misc]

DEFAULT_TIMEZONE = 'Europe/Moscow'




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


def localize(naive: datetime, tz: tzinfo) -> datetime:
    pytz_localize = getattr(tz, 'localize', None)  # pytz needs localize() to pick the right offset
    return pytz_localize(naive) if pytz_localize else naive.replace(tzinfo=tz)


def bad_value(what: str, value: Any) -> TeleumValidationError:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + '...'
    return TeleumValidationError(f'unreadable {what}: {shown}')


def _norm_key(key: Any) -> str:
    return str(key).strip().casefold()


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Row:
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
            if norm not in self._map or (is_empty(self._map[norm]) and not is_empty(value)):
                self._map[norm] = value

    def has(self, *names: str) -> bool:
        return any(n in self._map for n in names)

    def get(self, *names: str) -> Any:
        """First non-empty value among the (lower-case) names, else the first present, else None."""
        present = None
        for name in names:
            value = self._map.get(name)
            if not is_empty(value):
                return value
            if present is None and name in self._map:
                present = value
        return present


def as_text(value: Any, what: str = 'text') -> str:
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
    raise bad_value(what, value)


def opt_id(value: Any, what: str = 'id') -> str | None:
    """An id where 0 / '' / missing mean 'none'."""
    text = as_text(value, what)
    return None if text in ('', '0') else text


def digits(value: Any, what: str = 'number') -> str:
    return re.sub(r'\D', '', as_text(value, what))


_INT_RE = re.compile(r'[+-]?\d+')


def as_int(value: Any, what: str = 'integer', default: int = 0) -> int:
    if is_empty(value):
        return default
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().replace(' ', '')
        if _INT_RE.fullmatch(text) and len(text) <= 30:
            return int(text)
        value = as_decimal(text, what)
    if isinstance(value, float):
        if value != value or value in (float('inf'), float('-inf')):
            raise bad_value(what, value)
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite() or value.adjusted() > 30:
            raise bad_value(what, value)
        return int(value)
    raise bad_value(what, value)


_DEC_RE = re.compile(r'[+-]?(\d+([.,]\d*)?|[.,]\d+)')


def as_decimal(value: Any, what: str = 'amount', default: Decimal | None = Decimal(0)) -> Decimal:
    if is_empty(value):
        if default is None:
            raise bad_value(what, value)
        return default
    if isinstance(value, bool):
        raise bad_value(what, value)
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
            raise bad_value(what, value)
        result = Decimal(text.replace(',', '.'))
    else:
        raise bad_value(what, value)
    if not result.is_finite() or (result and abs(result.adjusted()) > 30):
        raise bad_value(what, value)
    return result


_TRUE = {'1', 'true', 'yes', 'y', 'on', 't', 'да'}
_FALSE = {'0', 'false', 'no', 'n', 'off', 'f', 'нет', 'null', 'none'}


def as_bool(value: Any, what: str = 'flag') -> bool:
    if is_empty(value):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, float | Decimal):
        if not (Decimal(value) if isinstance(value, float) else value).is_finite():
            raise bad_value(what, value)
        return value != 0
    if isinstance(value, str):
        text = value.strip().casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return as_int(text, what) != 0
    raise bad_value(what, value)


def clock(hour: int, minute: int, second: int = 0, what: str = 'time') -> time:
    if (hour, minute, second) == (24, 0, 0):  # end of day
        return time(23, 59, 59)
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59):
        raise bad_value(what, f'{hour}:{minute}:{second}')
    return time(hour, minute, second)


def as_time(value: Any, what: str = 'time') -> time:
    if isinstance(value, time):
        return value
    text = as_text(value, what)
    match = re.fullmatch(r'(\d{1,2})(?::(\d{1,2}))?(?::(\d{1,2}))?', text)
    if not match:
        raise bad_value(what, value)
    return clock(*(int(g or 0) for g in match.groups()), what=what)


def weekday(value: Any, what: str = 'weekday') -> int:
    day = as_int(value, what, default=-1)
    if day == 0:  # some systems count Sunday as 0
        day = 7
    if not 1 <= day <= 7:
        raise bad_value(what, value)
    return day


_DATETIME_FORMATS = ('%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%d.%m.%Y %H:%M:%S', '%d.%m.%Y %H:%M',
                     '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M', '%Y-%m-%d %H:%M:%S.%f')
_DATE_FORMATS = ('%Y-%m-%d', '%d.%m.%Y')


def as_datetime(value: Any, tz: tzinfo, what: str = 'date') -> datetime:
    """Local wall-clock text (or epoch seconds) -> aware datetime in ``tz``."""
    if is_empty(value):
        raise TeleumValidationError(f'missing {what}')
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz)
        except (OverflowError, OSError, ValueError):
            raise bad_value(what, value) from None
    text = ' '.join(as_text(value, what).split())
    if len(text) == 19 and text[10] == ' ':  # the documented 'YYYY-mm-dd HH:MM:SS': the hot path
        try:
            return localize(datetime.fromisoformat(text), tz)
        except ValueError:
            pass
    for fmt in _DATETIME_FORMATS:
        try:
            return localize(datetime.strptime(text, fmt), tz)
        except ValueError:
            continue
    try:  # ISO 8601, possibly with an explicit offset
        parsed = datetime.fromisoformat(text)
        return parsed.astimezone(tz) if parsed.tzinfo else localize(parsed, tz)
    except (ValueError, OverflowError):
        raise bad_value(what, value) from None


def as_date_or_datetime(value: Any, tz: tzinfo, what: str = 'date') -> date | datetime | None:
    if is_empty(value) or as_text(value, what) in ('0', '0000-00-00', '0000-00-00 00:00:00'):
        return None
    text = ' '.join(as_text(value, what).split())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return as_datetime(value, tz, what)


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


def items(value: Any, what: str) -> list:
    """A JSON list, an object of objects, or one lone object -> list."""
    if is_empty(value):
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        if value and all(isinstance(v, Mapping) for v in value.values()):
            return list(value.values())
        return [value]
    raise TeleumValidationError(f'{what}: expected a list, got {type(value).__name__}')


def json_value(value: Any) -> Any:
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
        raise bad_value('schedule JSON', value)
    return value
