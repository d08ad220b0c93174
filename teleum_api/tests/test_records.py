"""Record parsers against the shapes the API page shows, including its inconsistencies."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timezone
from decimal import Decimal

import pytest

from teleum_api import TeleumValidationError, convert, records
from teleum_api import parsers as R

PAGE_CALL = {"src": "78123232323", "dst": "78123343232", "billsec": "01:45",
             "disposition": "ANSWERED", "calldate": "2015-07-17 12:12:35",
             "calldatef": "17.07.2015 12:12:35", "billsecu": "105",
             "rdr": "Переадресация на: 78129232182"}


def test_call_from_the_page():
    call = R.parse_call(PAGE_CALL)
    assert (call.src, call.dst, call.duration, call.billsec) == ('78123232323', '78123343232',
                                                                 105, '01:45')
    assert call.status == 'answered' and call.error is None
    assert call.call_date == datetime(2015, 7, 17, 9, 12, 35, tzinfo=timezone.utc)  # MSK = UTC+3
    assert call.call_date.tzinfo is not None
    assert call.call_date_local == '2015-07-17 12:12:35'
    assert call.rdr == 'Переадресация на: 78129232182'
    assert call.raw == PAGE_CALL


@pytest.mark.parametrize('value, status', [
    ('ANSWERED', 'answered'), (' answered ', 'answered'), ('NO ANSWER', 'no_answer'),
    ('no  answer', 'no_answer'), ('NOANSWER', 'no_answer'), ('Busy', 'busy'),
    ('FAILED\n', 'failed'), ('CONGESTION', 'other'), ('', 'other'), (None, 'other'), (3, 'other'),
])
def test_disposition_status(value, status):
    assert convert.disposition_status(value) == status
    assert R.parse_call({**PAGE_CALL, 'disposition': value}).status == status


@pytest.mark.parametrize('row, seconds', [
    ({'billsecu': 105, 'billsec': '99:99'}, 105),       # billsecu preferred, int or str
    ({'billsecu': '', 'billsec': '01:45'}, 105),       # fall back to mm:ss
    ({'billsec': '1:02:03'}, 3723),                    # hh:mm:ss
    ({'billsec': '42'}, 42),
    ({'billsecu': Decimal('7.0')}, 7),
])
def test_durations(row, seconds):
    base = {k: v for k, v in PAGE_CALL.items() if k not in ('billsec', 'billsecu')}
    call = R.parse_call({**base, **row})
    assert call.duration == seconds and call.error is None


def test_timezone_is_configurable_and_pytz_works():
    import pytz
    call = R.parse_call(PAGE_CALL, 'Asia/Vladivostok')
    assert call.call_date.utcoffset().total_seconds() == 10 * 3600
    call = R.parse_call(PAGE_CALL, pytz.timezone('Europe/Berlin'))  # CEST in July
    assert call.call_date.astimezone(timezone.utc).hour == 10
    with pytest.raises(ValueError):
        convert.resolve_tz('Mars/Olympus')


@pytest.mark.parametrize('row, fragment', [
    ({**PAGE_CALL, 'calldate': '2015-13-45 99:00:00', 'calldatef': ''}, 'calldate'),
    ({**PAGE_CALL, 'billsecu': 'abc'}, 'billsecu'),
    ({**PAGE_CALL, 'billsecu': None, 'billsec': '1:xx'}, 'billsec'),
    ({**PAGE_CALL, 'billsecu': '-5'}, 'duration'),
    ({'src': {'nested': 1}}, 'src'),
])
def test_unparseable_call_rows_keep_raw_and_set_error(row, fragment):
    call = R.parse_call(row)
    assert isinstance(call, records.Call) and call.error and fragment in call.error
    assert call.raw == row


def test_non_object_call_row():
    call = R.parse_call(['x'])
    assert call.error and call.raw == {'value': ['x']}


def test_calldatef_is_the_fallback_date():
    call = R.parse_call({**PAGE_CALL, 'calldate': 'garbage'})
    assert call.error is None and call.call_date_local == '2015-07-17 12:12:35'


def test_call_page_counts_and_bad_rows_are_not_dropped():
    page = R.parse_call_page({'vivaid': '1', 'counts': '3',
                              'calls': [PAGE_CALL, {'calldate': 'x'}, None]}, start=10)
    assert (page.count, page.start, len(page.calls), page.count_reported) == (3, 10, 3, True)
    assert [c.error is None for c in page.calls] == [True, False, False]
    no_count = R.parse_call_page({'calls': {'0': PAGE_CALL, '5': PAGE_CALL}})  # PHP object
    assert (no_count.count, no_count.count_reported, len(no_count.calls)) == (2, False, 2)


def test_recordings_keep_long_ids_exact():
    body = ('{"vivaid":"1","records":[{"id":29343264892364.232,"src":"78123232323",'
            '"dst":"78123343232","billsec":"01:45","disposition":"ANSWERED",'
            '"calldate":"2015-07-17 12:12:35","calldatef":"17.07.2015 12:12:35","billsecu":"105"}]}')
    payload = json.loads(body, parse_float=Decimal)  # the client decodes floats as Decimal
    rec, = R.parse_records_list(payload)
    assert rec.file_id == '29343264892364.232' and rec.duration == 105 and rec.status == 'answered'
    assert rec.call_date.hour == 12 and rec.error is None
    assert R.parse_recording({'src': '1'}).error  # no id, no date: flagged, not raised


def test_login_and_balance_inconsistencies():
    login = R.parse_login({"account": "00000001", "token": "f3765d40fecd44ee0a03480ba0043bb2",
                           "vivaid": 1})
    assert (login.account, login.vivaid) == ('00000001', '1')
    assert 'f3765d40' not in repr(login)
    assert R.parse_login({'contract': '7', 'token': 't', 'vivaid': '2'}).account == '7'
    with pytest.raises(TeleumValidationError):
        R.parse_login({'account': '1'})
    bal = R.parse_balance({"contract": "00000001", "balance": "100.20", "vivaid": "1"})
    assert (bal.contract, bal.balance, bal.vivaid) == ('00000001', Decimal('100.20'), '1')
    bal = R.parse_balance({"account": 5, "balance": Decimal('-3.5'), " vivaid ": 1})
    assert (bal.contract, bal.balance, bal.vivaid) == ('5', Decimal('-3.5'), '1')
    assert R.parse_balance({'balance': '1 234,50'}).balance == Decimal('1234.50')
    for bad in ({'balance': 'lots'}, {'contract': '1'}, [], 'x'):
        with pytest.raises(TeleumValidationError):
            R.parse_balance(bad)


def test_numbers_with_spaced_keys_list_or_flat():
    item = {" number ": "78123232323", " numberform ": "+7 (812) 323-2323", "vivaid": "1"}
    flat, = R.parse_connected_numbers(item)  # the page's example is one flat object
    listed, = R.parse_connected_numbers({'vivaid': 1, 'numbers': [item]})
    for number in (flat, listed):
        assert (number.number, number.number_formatted) == ('78123232323', '+7 (812) 323-2323')
    assert R.parse_number({'numberform': '+7 (812) 323-2323', 'id': 17}) == \
        records.Number('78123232323', '+7 (812) 323-2323', id='17')
    assert R.parse_connected_numbers({'numbers': []}) == []


def test_id_name_lists():
    assert R.parse_rcids({'rcids': [{'id': 5, 'numberform': '+7 (812) 323-2323'}]})[0].id == '5'
    types = R.parse_forward_types({'forwardTypes': [{'id': '1', 'name': 'SIP'}]})
    assert types == [records.ForwardType('1', 'SIP')]
    rcids = R.parse_forward_rcids({'number': '1', 'forwardRCIDs': [{'id': 3, 'name': 'свой'}]})
    assert rcids == [records.CallerIdType('3', 'свой')]
    assert R.parse_tariff_groups({'tariffGroups': [{'id': 1, 'name': 'A'}]})[0].name == 'A'
    assert R.parse_number_types({'numberTypes': [{'id': 0, 'name': 'простой'}]})[0].id == '0'
    with pytest.raises(TeleumValidationError):
        R.parse_forward_types({'forwardTypes': 'nope'})
    with pytest.raises(TeleumValidationError):
        R.parse_forward_types({'forwardTypes': [1, 2]})


PAGE_FORWARD = {
    "id": "55", "rtype": "1", "rnum": "101", "rtime": "20", "rcid": "3", "direction": "2",
    "rec": "1", "deleted": "0", "vpbx": 0, "moh": "1",
    "dowjs2": '[{"ttsh":"0","ttsm":"0","ttfh":"23","ttfm":"59","dts":"1","dtf":"7"}]',
    "rcnid": "17", "rtname": "SIP", "cname": "свой",
    "times": "Понедельник-Воскресенье 00:00-23:59", "extra_key": [1],
}


def test_forward_from_the_page():
    fwd, = R.parse_forwards({'vivaid': '1', 'number': '17', 'forwards': [PAGE_FORWARD]})
    assert fwd.number_id == '17' and fwd.id == '55' and fwd.type_id == '1'
    assert (fwd.target, fwd.timeout, fwd.sequence) == ('101', 20, 2)
    assert (fwd.record, fwd.deleted, fwd.vpbx, fwd.moh) == (True, False, False, True)
    assert fwd.callerid_type_id == '3' and fwd.callerid_number_id == '17'
    assert fwd.schedule == [records.ScheduleWindow(1, 7, time(0, 0), time(23, 59))]
    assert fwd.schedule_text.startswith('Понедельник') and fwd.raw['extra_key'] == [1]


@pytest.mark.parametrize('dowjs2', [
    '[{"ttsh":"0","ttsm":"0","ttfh":"23","ttfm":"59","dts":"1","dtf":"7"}]',
    '"[{"ttsh":"0","ttsm":"0","ttfh":"23","ttfm":"59","dts":"1","dtf":"7"}]"',  # page's quotes
    json.dumps('[{"ttsh":0,"ttsm":0,"ttfh":23,"ttfm":59,"dts":1,"dtf":7}]'),  # double-encoded
    [{"ttsh": 0, "ttsm": "0", "ttfh": 23, "ttfm": 59, "dts": 1, "dtf": 7}],  # already decoded
    {"ttsh": "0", "ttsm": "0", "ttfh": "23", "ttfm": "59", "dts": "1", "dtf": "7"},
])
def test_schedule_shapes(dowjs2):
    assert R.parse_schedule(dowjs2) == [records.ScheduleWindow(1, 7, time(0, 0), time(23, 59))]


def test_schedule_edge_cases():
    assert R.parse_schedule('') == [] and R.parse_schedule(None) == []
    end_of_day, = R.parse_schedule('[{"ttsh":9,"ttfh":24,"ttfm":0,"dts":0,"dtf":5}]')
    assert (end_of_day.day_from, end_of_day.end) == (7, time(23, 59, 59))
    with pytest.raises(TeleumValidationError):
        R.parse_schedule('[{"ttsh":"25","dts":"1","dtf":"7"}]')
    fwd = R.parse_forward({**PAGE_FORWARD, 'dowjs2': '[{broken'})
    assert fwd.schedule == [] and fwd.schedule_error  # the forward itself survives


def test_forward_times():
    payload = {"vivaid": "1", "id": "55", "forwardTimes": [{
        "id": "9", "startTime": "08:30", "finishTime": "18:00:00", "startDayOfWeek": "1",
        "finishDayOfWeek": 5, "startDayOfWeekWord": "Понедельник",
        "finishDayOfWeekWord": "Пятница"}]}
    ft, = R.parse_forward_times(payload)
    assert (ft.start, ft.end, ft.day_from, ft.day_to) == (time(8, 30), time(18), 1, 5)
    assert ft.day_to_name == 'Пятница'


@pytest.mark.parametrize('key', ['spis', 'sips', ' SIPs '])
def test_sips_under_either_name(key):
    line = {"id": "3", "num": "101", "email": "a@b.c", "def": "1", "rcid": "78123232323",
            "descr": "Office", "uagent": "Zoiper", "status": "online"}
    sip, = R.parse_sips({'vivaid': '1', 'id': '3', key: [line]})
    assert (sip.id, sip.num, sip.is_default, sip.online, sip.user_agent) == \
        ('3', '101', True, True, 'Zoiper')
    assert not R.parse_sip({**line, 'status': 'offline'}).online
    assert R.parse_sip({'id': 1, 'uagent': 'X'}).online  # no status: online if a UA is there


def test_write_answers():
    assert R.parse_next_sip({'vivaid': '1', 'num': 104}) == '104'
    assert R.parse_edit_sip({'vivaid': 1, 'id': 9, 'num': '105'}) == ('9', '105')
    assert R.parse_id({'vivaid': 1, 'id': 77}, 'editForward') == '77'
    assert R.parse_connect_tariff({'vivaid': 1, 'numid': '123'}) == '123'
    assert R.parse_connect_tariff({'vivaid': 1}) is None
    with pytest.raises(TeleumValidationError):
        R.parse_id({'vivaid': 1}, 'editForward')


def test_tariffs():
    tariff, = R.parse_tariffs({'vivaid': '1', 'tariffs': [{
        "id": "12", "name": "8-800", "name_lng": [], "numreq": "1", "numreg": "2",
        "numreg_name": "федеральный 7-800", "numtype": "0", "numtype_name": "золотой",
        "textf": "", "connectPrice": "500.00", "aboPrice": 300}]})
    assert tariff.number_required and tariff.region_id == '2' and tariff.number_type_id == '0'
    assert (tariff.connect_price, tariff.monthly_price) == (Decimal('500.00'), Decimal(300))
    assert tariff.names == [] and tariff.description == ''
    plain = R.parse_tariff({'id': 1, 'numreq': 0, 'numreg': '5', 'name_lng': {'en': 'Basic'}})
    assert plain.region_id is None and plain.names == ['Basic'] and plain.connect_price == 0
    assert R.parse_tariff({'id': 1, 'name_lng': '[{"en":"A"},"B"]'}).names == ['A', 'B']


def test_connected_tariffs_dates():
    rows = [{"id": "3", "cost": "300.00", "pcost": "абонентская", "nid": "17",
             "numf": "+7 (812) 323-2323", "link_date": "2015-07-01 10:00:00", "name": "Базовый"},
            {"id": "4", "cost": 0, "nid": 0, "link_date": "01.07.2015"},
            {"id": "5", "link_date": "0000-00-00"}]
    a, b, c = R.parse_connected_tariffs({'vivaid': 1, 'connected': rows})
    assert a.cost == Decimal('300.00') and a.number_id == '17' and a.link_date.hour == 10
    assert a.link_date.tzinfo is not None
    assert b.number_id is None and b.link_date == date(2015, 7, 1)
    assert c.link_date is None


def test_free_numbers_page_with_spaced_key():
    page = R.parse_free_numbers_page({
        "vivaid": "1", "numbersCount": "120",
        "numbersSeries": [{"serie": "7812323", "serie_form": "+7 (812) 323-хххх"}],
        "freeNumbers  ": [{"id": "501", "number": "78123230001", "numberform": "+7 (812) 323-0001",
                           "ntype": "0", "nregion": "2", "cost": "0"}]}, start=50)
    assert (page.count, page.start) == (120, 50)
    assert page.series == [('7812323', '+7 (812) 323-хххх')]
    assert page.numbers == [records.FreeNumber('501', '78123230001', '+7 (812) 323-0001', '0', '2',
                                         Decimal(0))]


def test_records_are_frozen_and_raw_is_not_in_repr():
    call = R.parse_call(PAGE_CALL)
    with pytest.raises(AttributeError):
        call.src = 'x'  # type: ignore[misc]
    assert 'rdr' in repr(call) and 'raw' not in repr(call)
