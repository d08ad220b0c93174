"""Parsers of the call rows (reportCalls, getRecordsList): they never raise.

A row that cannot be read comes back with ``error`` set and ``raw`` kept, so that no call is ever
dropped. A fast path reads the documented row shape (imports read 100,000s of rows); anything
unusual takes the tolerant way, which gives the same result.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any, TypeVar

from .convert import (
    Row,
    as_datetime,
    as_int,
    as_text,
    bad_value,
    disposition_status,
    is_empty,
    items,
    localize,
    resolve_tz,
)
from .errors import TeleumValidationError
from .records import Call, CallPage, Recording

T = TypeVar('T')


def _duration(row: Row) -> tuple[int, str]:
    """Seconds from ``billsecu``, else from ``billsec`` 'ss' / 'mm:ss' / 'hh:mm:ss'."""
    billsec = as_text(row.get('billsec'), 'billsec')
    seconds_raw = row.get('billsecu', 'billsec_u', 'duration')
    if not is_empty(seconds_raw):
        seconds = as_int(seconds_raw, 'billsecu')
    elif billsec:
        parts = billsec.split(':')
        if len(parts) > 3 or not all(p.strip().isdigit() and p.isascii() for p in parts):
            raise bad_value('billsec', billsec)
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + int(part)
    else:
        raise TeleumValidationError('missing duration (billsecu/billsec)')
    if seconds < 0:
        raise bad_value('duration', seconds)
    return seconds, billsec


def _call_fields(data: Any, tz: tzinfo) -> tuple[dict, list[str], Row | None]:
    """The fields shared by a call row and a recording row, never raising."""
    errors: list[str] = []
    try:
        row = Row(data, 'call row')
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
        billsec = attempt(lambda: as_text(row.get('billsec'), 'billsec'), '')
    disposition = attempt(lambda: as_text(row.get('disposition', 'status'), 'disposition'), '')
    date_raw = row.get('calldate', 'call_date', 'date')

    def read_date() -> datetime:
        # calldate first; its formatted twin calldatef ("17.07.2015 12:12:35") as the fallback
        first_error = None
        for key, value in (('calldate', date_raw), ('calldatef', row.get('calldatef'))):
            if is_empty(value):
                continue
            try:
                return as_datetime(value, tz, key)
            except TeleumValidationError as exc:
                first_error = first_error or exc
        raise first_error or TeleumValidationError('missing calldate')

    call_date = attempt(read_date, None)
    local = (call_date.strftime('%Y-%m-%d %H:%M:%S') if call_date
             else attempt(lambda: as_text(date_raw, 'calldate'), ''))
    fields = {
        'src': attempt(lambda: as_text(row.get('src'), 'src'), ''),
        'dst': attempt(lambda: as_text(row.get('dst'), 'dst'), ''),
        'duration': duration, 'billsec': billsec, 'disposition': disposition,
        'status': disposition_status(disposition), 'call_date': call_date,
        'call_date_local': local,
    }
    return fields, errors, row


def _raw_of(data: Any, row: Row | None) -> dict:
    return row.raw if row is not None else {'value': data}


_CANONICAL_CALL_KEYS = frozenset(('src', 'dst', 'billsec', 'disposition', 'calldate', 'calldatef', 'billsecu',
                                  'rdr'))
_CANONICAL_RECORDING_KEYS = _CANONICAL_CALL_KEYS | {'id'}


@lru_cache(maxsize=4096)
def _hour_zone(tz: tzinfo, hour: datetime) -> tzinfo:
    """The zone (with its offset) of a local hour: offsets change on whole hours only."""
    return localize(hour, tz).tzinfo


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
            rdr = as_text(row.get('rdr'), 'rdr')
        except TeleumValidationError as exc:
            errors.append(exc.message)
    return Call(**fields, rdr=rdr, raw=_raw_of(data, row), error='; '.join(errors) or None)


def parse_call_page(payload: Any, tz: str | tzinfo | None = None, start: int = 0) -> CallPage:
    row = Row(payload, 'reportCalls')
    zone = resolve_tz(tz)
    calls = [parse_call(item, zone) for item in items(row.get('calls'), 'calls')]
    reported = row.get('counts', 'count', 'total')
    if is_empty(reported):
        return CallPage(start + len(calls), start, calls, row.raw, count_reported=False)
    return CallPage(as_int(reported, 'counts'), start, calls, row.raw)


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
            file_id = as_text(row.get('id', 'fileid', 'file_id'), 'id')
        except TeleumValidationError as exc:
            errors.append(exc.message)
        if not file_id and not errors:
            errors.append('missing id')
    local, billsec = fields.pop('call_date_local'), fields.pop('billsec')
    return Recording(file_id=file_id, **fields, raw=_raw_of(data, row), billsec=billsec,
                     call_date_local=local, error='; '.join(errors) or None)


def parse_records_list(payload: Any, tz: str | tzinfo | None = None) -> list[Recording]:
    zone = resolve_tz(tz)
    row = Row(payload, 'getRecordsList')
    return [parse_recording(item, zone)
            for item in items(row.get('records', 'calls', 'files'), 'records')]

