"""Property tests: whatever JSON the server sends, a parser returns a record or raises
TeleumValidationError (nothing else), and a call row always yields a Call."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from teleum_api import Call, Recording, TeleumValidationError, records
from teleum_api import parsers as R
from teleum_api.transport import _api_error, _decode_json

KEYS = ['id', 'src', 'dst', 'billsec', 'billsecu', 'disposition', 'calldate', 'calldatef', 'rdr',
        'account', 'contract', 'token', 'vivaid', 'balance', 'counts', 'calls', 'records', 'link',
        'number', 'numberform', 'numbers', 'rcids', 'name', 'forwardTypes', 'forwards', 'rtype',
        'rnum', 'rtime', 'rcid', 'direction', 'rec', 'deleted', 'vpbx', 'dowjs2', 'rcnid', 'moh',
        'rtname', 'cname', 'times', 'forwardTimes', 'startTime', 'finishTime', 'startDayOfWeek',
        'finishDayOfWeek', 'forwardRCIDs', 'spis', 'sips', 'num', 'email', 'def', 'descr',
        'uagent', 'status', 'tariffGroups', 'tariffs', 'name_lng', 'numreq', 'numreg',
        'numtype', 'textf', 'connectPrice', 'aboPrice', 'connected', 'cost', 'pcost', 'nid',
        'numf', 'link_date', 'numid', 'numberTypes', 'numbersCount', 'numbersSeries',
        'freeNumbers', 'serie', 'serie_form', 'ntype', 'nregion', 'ttsh', 'ttsm', 'ttfh', 'ttfm',
        'dts', 'dtf', 'err', 'errmsg', 'error', 'errormsg']

texty = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['', ' ', '0', '1', '-1', '01:45', '1:02:03', '99:99', '105', '100.20',
                     '1 234,50', '1e999999', 'NaN', 'Infinity', '24', '2015-07-17 12:12:35',
                     '17.07.2015 12:12:35', '2015-13-45 99:00:00', '0000-00-00', '9999-12-31',
                     '0001-01-01T00:00:00+05:00', 'ANSWERED', 'NO ANSWER', 'true', 'нет',
                     '[{"ttsh":"0","ttsm":"0","ttfh":"23","ttfm":"59","dts":"1","dtf":"7"}]',
                     '[{"ttsh":"x"}]', '"[{}]"', '[', '{"a":1}', '["a",{"b":"c"}]']))
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**40, max_value=10**40),
                    st.floats(allow_nan=True, allow_infinity=True), st.decimals(), texty)
keys = st.one_of(st.sampled_from(KEYS), st.sampled_from(KEYS).map(lambda k: f' {k} '),
                 st.text(max_size=6))
json_values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=4)
    | st.dictionaries(keys, children, max_size=6), max_leaves=15)
objects = st.dictionaries(keys, json_values, max_size=12)
anything = st.one_of(objects, json_values)

ITEM_PARSERS = [R.parse_number, R.parse_rcid, R.parse_forward_type, R.parse_forward,
                R.parse_forward_time, R.parse_callerid_type, R.parse_sip, R.parse_tariff_group,
                R.parse_tariff, R.parse_connected_tariff, R.parse_number_type,
                R.parse_free_number, R.parse_schedule]
PAYLOAD_PARSERS = [R.parse_login, R.parse_balance, R.parse_call_page, R.parse_records_list,
                   R.parse_record_link, R.parse_connected_numbers, R.parse_rcids,
                   R.parse_forward_types, R.parse_forwards, R.parse_forward_times,
                   R.parse_forward_rcids, R.parse_sips, R.parse_next_sip, R.parse_edit_sip,
                   R.parse_tariff_groups, R.parse_tariffs, R.parse_connected_tariffs,
                   R.parse_connect_tariff, R.parse_number_types, R.parse_free_numbers_page,
                   lambda p: R.parse_id(p, 'editForward')]
ALL_PARSERS = ITEM_PARSERS + PAYLOAD_PARSERS


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=anything)
def test_parsers_return_or_raise_validation_only(data):
    # one generated value goes through every parser: generation is the slow part
    for parse in ALL_PARSERS:
        try:
            parse(data)
        except TeleumValidationError:
            pass


@settings(max_examples=150, deadline=None, database=None)
@given(row=anything)
def test_a_call_row_always_yields_a_call(row):
    call = R.parse_call(row)
    assert isinstance(call, Call) and call.status in records.STATUSES
    assert isinstance(call.duration, int) and call.duration >= 0
    assert call.call_date is None or call.call_date.tzinfo is not None
    assert isinstance(call.raw, dict)
    if call.error is None:
        assert call.call_date is not None
    recording = R.parse_recording(row)
    assert isinstance(recording, Recording)


@settings(max_examples=60, deadline=None, database=None)
@given(row=st.fixed_dictionaries(
    {'calldate': st.datetimes(datetime(1971, 1, 1), datetime(2100, 1, 1)).map(
        lambda d: d.strftime('%Y-%m-%d %H:%M:%S')),
     'billsecu': st.integers(0, 10**6).map(str), 'disposition': st.sampled_from(
         ['ANSWERED', 'no answer', ' BUSY ', 'FAILED', 'CONGESTION'])}))
def test_well_formed_rows_parse_without_error(row):
    call = R.parse_call(row)
    assert call.error is None and call.duration == int(row['billsecu'])
    assert call.call_date_local == row['calldate']


@settings(max_examples=50, deadline=None, database=None)
@given(payload=objects)
def test_api_error_detection_never_crashes(payload):
    result = _api_error(payload)
    assert result is None or isinstance(result, str)


@settings(max_examples=50, deadline=None, database=None)
@given(text=st.one_of(st.text(max_size=60), objects.map(
    lambda o: json.dumps(o, default=str)[:-1])))
def test_json_decoding_never_crashes(text):
    _decode_json(text)  # a value or None (malformed), never an exception


def test_decimals_survive_as_given():
    assert R.parse_balance({'balance': Decimal('0.1')}).balance == Decimal('0.1')


@settings(max_examples=100, deadline=None, database=None)
@given(rows=st.lists(anything, max_size=8), counts=st.one_of(st.none(), st.integers(0, 10**6).map(str)))
def test_a_page_of_random_rows_yields_one_call_per_row(rows, counts):
    """Whatever the rows of a reportCalls page, the page has exactly one Call per row (broken
    rows included, with ``error`` set): nothing is dropped silently."""
    payload = {'calls': rows, **({'counts': counts} if counts is not None else {})}
    page = R.parse_call_page(payload, 'Europe/Moscow')
    assert len(page.calls) == len(rows)
    assert all(isinstance(c, Call) and (c.error or c.call_date is not None) for c in page.calls)
