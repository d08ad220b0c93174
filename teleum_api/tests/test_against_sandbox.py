"""The client against the team's Teleum sandbox (sandbox/), over real HTTP on 127.0.0.1."""
from __future__ import annotations

import logging
import math
from datetime import date, time
from decimal import Decimal

import pytest

from teleum_api import (
    ScheduleWindow,
    TeleumAuthError,
    TeleumClient,
    TeleumTimeUp,
    TeleumTransientError,
    TeleumValidationError,
    time_limit,
)

sandbox = pytest.importorskip('sandbox')

DEMO = ('demo@example.com', '989864')
TODAY = date(2024, 5, 15)  # history window (months=2): April and May 2024 (May up to the 15th)


@pytest.fixture
def sb():
    server = sandbox.TeleumSandbox(seed=1, months=2, calls_per_month=50, today=TODAY).start()
    yield server
    server.stop()


def _client(sb, email=DEMO[0], password=DEMO[1], **kwargs) -> TeleumClient:
    kwargs = {'retries': 2, 'backoff': 0.001, 'timeout': (2, 5), **kwargs}
    return TeleumClient(email, password, base_url=sb.url, **kwargs)


@pytest.fixture
def live(sb):
    with _client(sb) as client:
        yield client


def _sent(sb, cmd: str) -> int:
    return sb.stats()['requests'].get(cmd, 0)


def test_account_and_directories(sb, live):
    bal = live.balance()
    assert (bal.contract, bal.balance, bal.vivaid) == ('00000001', Decimal('1500.00'), '1')
    numbers = live.get_connected_numbers()
    assert numbers and all(n.number.isdigit() and n.number_formatted.startswith('+7')
                           for n in numbers)
    rcids = live.get_rcids()
    assert {r.number_formatted for r in rcids} == {n.number_formatted for n in numbers}
    assert [t.name for t in live.get_forwards_types()] == ['SIP', 'Телефон', 'Автоответчик',
                                                           'Факс']
    assert [t.id for t in live.get_forwards_rcids()] == ['1', '2', '3']
    assert live.get_numbers_types()[0].id == '0'
    sips = live.get_sips()
    assert [s.num for s in sips] == ['101', '102', '103'] and sips[0].is_default
    assert dict(live.stats) == sb.stats()['requests']


def test_second_account_is_separate(sb):
    with _client(sb, 'second@example.com', 'second-pass-2') as client:
        bal = client.balance()
    assert (bal.contract, bal.balance, bal.vivaid) == ('00000002', Decimal('75.50'), '2')


@pytest.mark.parametrize('year, month', [(2024, 5), (2024, 4)])
def test_call_history_paging(sb, live, year, month):
    total = live.report_calls(year, month, limit=1).count
    assert total == 50
    sb.reset_stats()
    calls = list(live.iter_calls(year, month, page_size=7))
    assert len(calls) == total  # the month's identical pair of rows is kept too
    assert _sent(sb, 'reportCalls') == math.ceil(total / 7)
    assert all(c.error is None and c.call_date.tzinfo is not None for c in calls)
    assert [c.call_date for c in calls] == sorted(c.call_date for c in calls)
    assert all(c.call_date.date() <= TODAY and (c.call_date.year, c.call_date.month) ==
               (year, month) for c in calls)
    assert 'other' in {c.status for c in calls}  # the sandbox's CONGESTION row
    assert all(c.duration == int(c.raw['billsecu']) for c in calls)
    answered = list(live.iter_calls(year, month, disposition='answered', page_size=10))
    assert answered and {c.status for c in answered} == {'answered'}
    assert len(answered) == sum(c.status == 'answered' for c in calls)
    assert list(live.iter_calls(2023, 1)) == []  # outside the history window


@pytest.mark.parametrize('style', ['http401', 'body'])
def test_expired_session_is_renewed_transparently(style):
    with sandbox.TeleumSandbox(seed=1, months=1, calls_per_month=5, today=TODAY,
                               session_error_style=style) as sb, _client(sb) as client:
        client.balance()
        sb.expire_sessions()
        assert client.get_next_sip() == '104'
        sb.inject('session', 'getSIPs')
        assert len(client.get_sips()) == 3
        assert _sent(sb, 'login') == 3


@pytest.mark.parametrize('kind', ['error500', 'error502', 'malformed', 'drop'])
def test_reads_are_retried_after_faults(sb, live, kind):
    live.login()
    sb.inject(kind, 'getRCIDs', count=2)
    assert live.get_rcids()
    assert _sent(sb, 'getRCIDs') == 3
    sb.inject(kind, 'getRCIDs', count=3)
    with pytest.raises(TeleumTransientError):
        live.get_rcids()


def test_read_timeout_is_retried(sb):
    sb.timeout_sleep = 1.0
    with _client(sb, timeout=(2, 0.3)) as client:
        client.login()
        sb.inject('timeout', 'getTariffGroups')
        assert [g.id for g in client.get_tariff_groups()] == ['1', '2', '3']
    assert _sent(sb, 'getTariffGroups') == 2


def test_writes_are_not_retried(sb, live):
    nid = live.get_rcids()[0].id
    forwards_before = len(sb.state(DEMO[0])['forwards'])
    sb.inject('error502', 'editForward')
    with pytest.raises(TeleumTransientError):
        live.edit_forward(0, type_id=1, number_id=nid, timeout=20, callerid_type_id=1,
                          target='101')
    assert _sent(sb, 'editForward') == 1
    assert len(sb.state(DEMO[0])['forwards']) == forwards_before
    # a write that timed out may still have happened: exactly why it is never repeated
    sb.timeout_sleep = 1.0
    with _client(sb, timeout=(2, 0.3)) as client:
        sip_id = live.get_sips()[-1].id
        sb.inject('timeout', 'deleteSIP')
        with pytest.raises(TeleumTransientError):
            client.delete_sip(sip_id)
    assert _sent(sb, 'deleteSIP') == 1
    assert sip_id not in {str(s['id']) for s in sb.state(DEMO[0])['sips']}


def test_forward_lifecycle(sb, live):
    nid = live.get_rcids()[0].id
    before = live.get_forwards(nid)
    new_id = live.edit_forward(0, type_id=1, number_id=nid, timeout=20, callerid_type_id=3,
                               callerid_number_id=nid, target='102', record=True)
    forwards = live.get_forwards(nid)
    new = forwards[-1]
    assert len(forwards) == len(before) + 1 and new.id == new_id and new.number_id == nid
    assert (new.type_name, new.target, new.timeout, new.record, new.deleted) == \
        ('SIP', '102', 20, True, False)
    assert new.callerid_number_id == nid and new.callerid_type_name == 'свой'
    assert new.schedule == [ScheduleWindow(1, 7, time(0, 0), time(23, 59))]
    window, = live.get_forward_times(new_id)
    assert (window.day_from, window.day_to, window.start, window.end) == (1, 7, time(0), time(23, 59))
    assert len(forwards) > 1  # the demo number comes with forwards
    assert live.move_forward(new_id, 'up') == new_id
    moved = {f.id: f.sequence for f in live.get_forwards(nid)}
    assert moved[new_id] < new.sequence
    assert live.edit_forward(new_id, type_id=2, number_id=nid, timeout=25, callerid_type_id=1,
                             target='79001234567') == new_id
    edited = {f.id: f for f in live.get_forwards(nid)}[new_id]
    assert (edited.type_name, edited.timeout, edited.callerid_number_id) == \
        ('Телефон', 25, None)
    with pytest.raises(TeleumValidationError) as err:
        live.edit_forward(new_id, type_id=2, number_id=nid, timeout=99, callerid_type_id=1,
                          target='79001234567')
    assert 'от 5 до 30' in err.value.message and _sent(sb, 'editForward') == 3
    assert live.delete_forward(new_id) == new_id
    assert {f.id: f for f in live.get_forwards(nid)}[new_id].deleted


def test_sip_lifecycle(sb, live):
    num = live.get_next_sip()
    sip_id, got_num = live.edit_sip(0, email='line@example.com', description='Reception',
                                    callerid='', password='Line2secret')
    assert got_num == num
    line = {s.id: s for s in live.get_sips()}[sip_id]
    assert (line.email, line.description, line.online) == ('line@example.com', 'Reception',
                                                           False)
    assert live.edit_sip(sip_id, email='line@example.com', description='Hall',
                         callerid='') == (sip_id, num)
    with pytest.raises(TeleumValidationError, match='Пароль'):
        live.edit_sip(0, email='x@example.com', description='', callerid='', password='short')
    assert live.delete_sip(sip_id) == sip_id
    assert sip_id not in {s.id for s in live.get_sips()}


def test_tariffs_free_numbers_and_connecting(sb, live):
    assert live.get_tariff_groups()[0].name == 'Виртуальные номера'
    tariff = {t.id: t for t in live.get_tariffs(1)}['11']
    assert tariff.number_required and tariff.region_id == '1' and tariff.number_type_id == '0'
    assert tariff.names == ['St Petersburg city number']
    first = live.get_free_numbers(tariff.region_id, tariff.number_type_id, limit=5)
    sb.reset_stats()
    free = list(live.iter_free_numbers(tariff.region_id, tariff.number_type_id, page_size=5))
    assert len(free) == first.count and len({n.id for n in free}) == first.count
    assert _sent(sb, 'getFreeNumbers') == math.ceil(first.count / 5)
    assert all(n.region_id == '1' and n.type_id == '0' for n in free)
    pick = free[0]
    numid = live.connect_tariff(tariff.id, pick.id)
    assert numid  # the id of the newly connected number
    connected = [c for c in live.get_connected_tariffs() if c.id == '11']
    assert connected and connected[-1].number_id == numid
    assert isinstance(connected[-1].link_date, date)
    assert live.balance().balance == Decimal('1500.00') - tariff.connect_price - \
        tariff.monthly_price - pick.cost
    with pytest.raises(TeleumValidationError):
        live.connect_tariff(tariff.id)  # needs a number


def test_recordings(sb, live):
    records = live.get_records_list(2024, 4)
    assert records and all(r.file_id and r.error is None for r in records)
    link = live.get_record_link(records[0].file_id)
    assert link.startswith(sb.base_url + 'records/')
    resp = live.download(link)
    try:
        assert resp.headers['Content-Type'] == 'audio/mpeg'
        assert len(b''.join(resp.iter_content(8192))) > 0
    finally:
        resp.close()
    with pytest.raises(TeleumValidationError) as err:
        live.download(link.replace('sig=', 'sig=0'))
    assert err.value.status == 403 and 'sig=' not in str(err.value)
    with pytest.raises(TeleumValidationError, match='не найден'):
        live.get_record_link('no-such-file')


def test_broken_off_download_is_not_a_recording(sb, live):
    link = live.get_record_link(live.get_records_list(2024, 4)[0].file_id)
    whole = live.download_bytes(link)
    assert whole
    sb.inject('malformed', 'download', 1)  # full Content-Length, half of the bytes
    with pytest.raises(TeleumTransientError, match='broke off'):
        live.download_bytes(link)
    assert live.download_bytes(link) == whole
    with pytest.raises(TeleumValidationError, match='larger'):
        live.download_bytes(link, max_bytes=len(whole) - 1)


def test_bad_credentials(sb, live):
    with _client(sb, password='wrong') as client, pytest.raises(TeleumAuthError) as err:
        client.balance()
    assert 'wrong' not in repr(err.value)
    live.balance()
    sb.set_password(DEMO[0], 'changed-1')
    sb.expire_sessions()
    with pytest.raises(TeleumAuthError):
        live.balance()


def test_no_secret_reaches_the_logs(sb, live, caplog):
    caplog.set_level(logging.DEBUG)
    tokens = set()
    live.balance()
    tokens.add(live._token)
    sb.expire_sessions()
    sb.inject('error500', 'getSIPs')
    live.get_sips()
    tokens.add(live._token)
    link = live.get_record_link(live.get_records_list(2024, 4)[0].file_id)
    live.download(link).close()
    text = caplog.text + '\n'.join(r.getMessage() for r in caplog.records)
    assert 'urllib3.connectionpool' in {r.name for r in caplog.records}
    assert 'paswd=***' in text and 'token=***' in text
    assert 'paswd=989864' not in text and 'sig=' + link.split('sig=')[1] not in text
    for token in tokens:
        assert token and token not in text and token not in repr(live)


def test_time_limit_stops_before_a_request_and_times_the_answers(sb):
    """A slow account: within the limit the answers are timed; past it, nothing more is sent."""
    sb.set_account_latency(DEMO[0], 0.3)
    with _client(sb) as client:
        client.login()
        with time_limit(0.5) as limit:
            client.balance()  # 0.3 s: the limit is not reached yet
            client.balance()  # starts before the deadline, answered after it
            sent = sb.stats()['requests'].get('balance', 0)
            with pytest.raises(TeleumTimeUp):
                client.balance()
        assert _sent(sb, 'balance') == sent == 2, 'the refused request was not sent'
        assert limit.reached and len(limit.waits) == 2 and limit.median >= 0.3
        client.balance()  # outside the block: no limit


def test_time_limit_is_per_thread(sb):
    """One client shared by two threads (a cron and a form): only the thread with the limit stops;
    no limit (None) only times the answers."""
    import threading

    with _client(sb) as client:
        client.login()
        results = []
        with time_limit(0):
            worker = threading.Thread(target=lambda: results.append(client.balance().contract))
            worker.start()
            worker.join(10)
            with pytest.raises(TeleumTimeUp):
                client.balance()
        assert results == ['00000001']
        with time_limit(None) as timed:
            client.balance()
        assert not timed.reached and len(timed.waits) == 1


def test_account_latency_slows_one_account_only(sb):
    sb.set_account_latency('second@example.com', 0.4)
    with _client(sb) as fast, _client(sb, 'second@example.com', 'second-pass-2') as slow:
        with time_limit(60) as quick:
            fast.balance()
        with time_limit(60) as late:
            slow.balance()  # its login waits too
        assert quick.median < 0.3 and late.median >= 0.4 and len(late.waits) == 2
        sb.clear_faults()
        with time_limit(60) as again:
            slow.balance()
        assert again.median < 0.3
