"""Per-method parsers: the JSON answer of each Teleum API method -> its typed records.

Every parser either returns its record(s) or raises :class:`TeleumValidationError`; every record
keeps the whole original object in ``raw`` (unknown keys are never fatal). The call-row parsers
live in :mod:`.call_rows` (they never raise) and are imported here too, so that this module holds
a parser for every method.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any, TypeVar

from .call_rows import parse_call, parse_call_page, parse_recording, parse_records_list  # noqa: F401
from .convert import (
    Row,
    as_bool,
    as_date_or_datetime,
    as_decimal,
    as_int,
    as_text,
    as_time,
    clock,
    digits,
    is_empty,
    items,
    json_value,
    opt_id,
    resolve_tz,
    weekday,
)
from .errors import TeleumValidationError
from .records import (
    Balance,
    CallerIdNumber,
    CallerIdType,
    ConnectedTariff,
    Forward,
    ForwardTime,
    ForwardType,
    FreeNumber,
    FreeNumbersPage,
    LoginInfo,
    Number,
    NumberType,
    ScheduleWindow,
    SipLine,
    Tariff,
    TariffGroup,
)

T = TypeVar('T')


def _list(payload: Any, keys: tuple[str, ...], parse: Callable[[Any], T], what: str) -> list[T]:
    row = Row(payload, what)
    return [parse(item) for item in items(row.get(*keys), what)]


def parse_login(payload: Any) -> LoginInfo:
    row = Row(payload, 'login')
    token = as_text(row.get('token'), 'token')
    vivaid = as_text(row.get('vivaid', 'viva_id', 'userid'), 'vivaid')
    if not token or not vivaid:
        raise TeleumValidationError('login answer has no token/vivaid')
    return LoginInfo(account=as_text(row.get('account', 'contract'), 'account'), token=token,
                     vivaid=vivaid, raw=row.raw)


def parse_balance(payload: Any) -> Balance:
    row = Row(payload, 'balance')
    return Balance(contract=as_text(row.get('contract', 'account'), 'contract'),
                   balance=as_decimal(row.get('balance'), 'balance', default=None),
                   vivaid=as_text(row.get('vivaid'), 'vivaid'), raw=row.raw)


def parse_record_link(payload: Any) -> str:
    link = as_text(Row(payload, 'getRecordLink').get('link', 'url', 'href'), 'link')
    if not link:
        raise TeleumValidationError('getRecordLink answered without a link')
    return link


def parse_number(data: Any) -> Number:
    row = Row(data, 'number')
    formatted = as_text(row.get('numberform', 'number_form', 'numf'), 'numberform')
    number = digits(row.get('number', 'num', 'e164'), 'number') or digits(formatted)
    return Number(number=number, number_formatted=formatted, raw=row.raw,
                  id=opt_id(row.get('id', 'nid', 'numberid', 'number_id')))


def parse_connected_numbers(payload: Any) -> list[Number]:
    row = Row(payload, 'getConnectedNumbers')
    if not row.has('numbers') and row.has('number', 'numberform'):
        return [parse_number(payload)]  # the page's example: one flat number object
    return [parse_number(item) for item in items(row.get('numbers'), 'numbers')]


def parse_rcid(data: Any) -> CallerIdNumber:
    row = Row(data, 'rcid')
    return CallerIdNumber(id=as_text(row.get('id', 'rcid', 'nid'), 'id'),
                          number_formatted=as_text(row.get('numberform', 'number', 'name'),
                                                 'numberform'),
                          raw=row.raw)


def parse_rcids(payload: Any) -> list[CallerIdNumber]:
    return _list(payload, ('rcids', 'rcid'), parse_rcid, 'getRCIDs')


def _id_name(data: Any, what: str) -> tuple[str, str, dict]:
    row = Row(data, what)
    return as_text(row.get('id'), 'id'), as_text(row.get('name', 'title'), 'name'), row.raw


def parse_forward_type(data: Any) -> ForwardType:
    return ForwardType(*_id_name(data, 'forward type'))


def parse_forward_types(payload: Any) -> list[ForwardType]:
    return _list(payload, ('forwardtypes', 'forwardstypes', 'types'), parse_forward_type,
                 'getForwardsTypes')


def parse_schedule(value: Any) -> list[ScheduleWindow]:
    """``dowjs2`` (a JSON string, or already decoded) -> windows.  Raises on a bad window."""
    windows = []
    for item in items(json_value(value), 'schedule'):
        row = Row(item, 'schedule window')
        windows.append(ScheduleWindow(
            day_from=weekday(row.get('dts'), 'dts'), day_to=weekday(row.get('dtf'), 'dtf'),
            start=clock(as_int(row.get('ttsh'), 'ttsh'), as_int(row.get('ttsm'), 'ttsm'),
                         what='start time'),
            end=clock(as_int(row.get('ttfh'), 'ttfh'), as_int(row.get('ttfm'), 'ttfm'),
                       what='end time'),
            raw=row.raw))
    return windows


def parse_forward(data: Any, number_id: str | None = None) -> Forward:
    row = Row(data, 'forward')
    schedule: list[ScheduleWindow] = []
    schedule_error = None
    try:
        schedule = parse_schedule(row.get('dowjs2', 'dowjs', 'schedule'))
    except TeleumValidationError as exc:
        schedule_error = exc.message
    return Forward(
        id=as_text(row.get('id'), 'id'),
        number_id=as_text(row.get('nid', 'numberid', 'number_id') or number_id, 'number id'),
        type_id=as_text(row.get('rtype', 'type'), 'rtype'),
        type_name=as_text(row.get('rtname', 'typename'), 'rtname'),
        target=as_text(row.get('rnum'), 'rnum'),
        timeout=as_int(row.get('rtime', 'timeout'), 'rtime'),
        callerid_type_id=as_text(row.get('rcid'), 'rcid'),
        callerid_type_name=as_text(row.get('cname'), 'cname'),
        callerid_number_id=opt_id(row.get('rcnid'), 'rcnid'),
        sequence=as_int(row.get('direction', 'sequence'), 'direction'),
        record=as_bool(row.get('rec'), 'rec'), deleted=as_bool(row.get('deleted'), 'deleted'),
        vpbx=as_bool(row.get('vpbx'), 'vpbx'), moh=as_bool(row.get('moh'), 'moh'),
        schedule=schedule, schedule_text=as_text(row.get('times'), 'times'),
        raw=row.raw, schedule_error=schedule_error)


def parse_forwards(payload: Any, number_id: str | None = None) -> list[Forward]:
    row = Row(payload, 'getForwards')
    nid = as_text(row.get('number', 'numberid', 'nid'), 'number') or number_id
    return [parse_forward(item, nid) for item in items(row.get('forwards'), 'forwards')]


def parse_forward_time(data: Any) -> ForwardTime:
    row = Row(data, 'forward time')
    return ForwardTime(
        id=as_text(row.get('id'), 'id'),
        start=as_time(row.get('starttime', 'start'), 'startTime'),
        end=as_time(row.get('finishtime', 'endtime', 'finish'), 'finishTime'),
        day_from=weekday(row.get('startdayofweek'), 'startDayOfWeek'),
        day_to=weekday(row.get('finishdayofweek'), 'finishDayOfWeek'),
        day_from_name=as_text(row.get('startdayofweekword'), 'startDayOfWeekWord'),
        day_to_name=as_text(row.get('finishdayofweekword'), 'finishDayOfWeekWord'),
        raw=row.raw)


def parse_forward_times(payload: Any) -> list[ForwardTime]:
    return _list(payload, ('forwardtimes', 'times'), parse_forward_time, 'getForwardTimes')


def parse_callerid_type(data: Any) -> CallerIdType:
    return CallerIdType(*_id_name(data, 'caller-ID type'))


def parse_forward_rcids(payload: Any) -> list[CallerIdType]:
    return _list(payload, ('forwardrcids', 'rcids'), parse_callerid_type, 'getForwardsRCIDs')


_ONLINE = {'online', 'онлайн', 'on', '1', 'true', 'registered', 'ok'}


def parse_sip(data: Any) -> SipLine:
    row = Row(data, 'SIP line')
    status = as_text(row.get('status'), 'status')
    user_agent = as_text(row.get('uagent', 'useragent', 'user_agent'), 'uagent')
    online = status.casefold() in _ONLINE if status else bool(user_agent)
    return SipLine(id=as_text(row.get('id'), 'id'), num=as_text(row.get('num', 'number'), 'num'),
                   email=as_text(row.get('email'), 'email'),
                   is_default=as_bool(row.get('def', 'default'), 'def'),
                   callerid=as_text(row.get('rcid', 'callerid'), 'rcid'),
                   description=as_text(row.get('descr', 'description'), 'descr'),
                   user_agent=user_agent, online=online, status=status, raw=row.raw)


def parse_sips(payload: Any) -> list[SipLine]:
    # the page names the array "spis" in the answer and "sips" in its format title
    return _list(payload, ('spis', 'sips', 'sip'), parse_sip, 'getSIPs')


def parse_next_sip(payload: Any) -> str:
    num = as_text(Row(payload, 'getNextSIP').get('num', 'number'), 'num')
    if not num:
        raise TeleumValidationError('getNextSIP answered without num')
    return num


def parse_id(payload: Any, what: str, *keys: str) -> str:
    """The ``id`` a write method answers with."""
    value = as_text(Row(payload, what).get(*(keys or ('id',))), 'id')
    if not value:
        raise TeleumValidationError(f'{what} answered without an id')
    return value


def parse_edit_sip(payload: Any) -> tuple[str, str]:
    row = Row(payload, 'editSIP')
    sip_id = as_text(row.get('id'), 'id')
    if not sip_id:
        raise TeleumValidationError('editSIP answered without an id')
    return sip_id, as_text(row.get('num', 'number'), 'num')


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
    if is_empty(value):
        return []
    names: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, Mapping):
            names.extend(as_text(v, 'name_lng') for v in item.values()
                         if not isinstance(v, Mapping | list))
        elif not isinstance(item, list):
            names.append(as_text(item, 'name_lng'))
    return [n for n in names if n]


def parse_tariff(data: Any) -> Tariff:
    row = Row(data, 'tariff')
    required = as_bool(row.get('numreq'), 'numreq')
    type_id = as_text(row.get('numtype'), 'numtype')
    return Tariff(
        id=as_text(row.get('id'), 'id'), name=as_text(row.get('name'), 'name'),
        names=_names(row.get('name_lng')), number_required=required,
        # per the page, numreg means a region only when numreq and numreg are both non-zero
        region_id=opt_id(row.get('numreg'), 'numreg') if required else None,
        region_name=as_text(row.get('numreg_name'), 'numreg_name'),
        number_type_id=type_id or None,  # "usually 0": 0 is a real type here, kept as '0'
        number_type_name=as_text(row.get('numtype_name'), 'numtype_name'),
        description=as_text(row.get('textf', 'descr', 'description'), 'textf'),
        connect_price=as_decimal(row.get('connectprice', 'connect_price'), 'connectPrice'),
        monthly_price=as_decimal(row.get('aboprice', 'abo_price'), 'aboPrice'),
        raw=row.raw)


def parse_tariffs(payload: Any) -> list[Tariff]:
    return _list(payload, ('tariffs',), parse_tariff, 'getTariffs')


def parse_connected_tariff(data: Any, tz: str | tzinfo | None = None) -> ConnectedTariff:
    row = Row(data, 'connected tariff')
    return ConnectedTariff(
        id=as_text(row.get('id'), 'id'), cost=as_decimal(row.get('cost'), 'cost'),
        payment_type=as_text(row.get('pcost'), 'pcost'),
        number_id=opt_id(row.get('nid'), 'nid'), number=as_text(row.get('numf', 'number'), 'numf'),
        link_date=as_date_or_datetime(row.get('link_date', 'linkdate'), resolve_tz(tz), 'link_date'),
        name=as_text(row.get('name'), 'name'), raw=row.raw)


def parse_connected_tariffs(payload: Any, tz: str | tzinfo | None = None) -> list[ConnectedTariff]:
    zone = resolve_tz(tz)
    return _list(payload, ('connected', 'tariffs'), lambda d: parse_connected_tariff(d, zone),
                 'getConnectedTariffs')


def parse_connect_tariff(payload: Any) -> str | None:
    return opt_id(Row(payload, 'connectTariff').get('numid', 'id'), 'numid')


def parse_number_type(data: Any) -> NumberType:
    return NumberType(*_id_name(data, 'number type'))


def parse_number_types(payload: Any) -> list[NumberType]:
    return _list(payload, ('numbertypes', 'numberstypes', 'types'), parse_number_type,
                 'getNumbersTypes')


def parse_free_number(data: Any) -> FreeNumber:
    row = Row(data, 'free number')
    formatted = as_text(row.get('numberform'), 'numberform')
    return FreeNumber(
        id=as_text(row.get('id'), 'id'),
        number=digits(row.get('number'), 'number') or digits(formatted),
        number_formatted=formatted, type_id=as_text(row.get('ntype'), 'ntype'),
        region_id=as_text(row.get('nregion'), 'nregion'), cost=as_decimal(row.get('cost'), 'cost'),
        raw=row.raw)


def _serie(data: Any) -> tuple[str, str]:
    if not isinstance(data, Mapping):
        serie = as_text(data, 'serie')
        return serie, serie
    row = Row(data, 'number series')
    return (as_text(row.get('serie', 'series'), 'serie'),
            as_text(row.get('serie_form', 'serieform'), 'serie_form'))


def parse_free_numbers_page(payload: Any, start: int = 0) -> FreeNumbersPage:
    row = Row(payload, 'getFreeNumbers')
    numbers = [parse_free_number(item) for item in items(row.get('freenumbers'), 'freeNumbers')]
    series = [_serie(item) for item in items(row.get('numbersseries', 'series'), 'numbersSeries')]
    reported = row.get('numberscount', 'count', 'counts')
    if is_empty(reported):
        return FreeNumbersPage(start + len(numbers), series, numbers, row.raw, start, False)
    return FreeNumbersPage(as_int(reported, 'numbersCount'), series, numbers, row.raw, start)
