"""TeleumClient over a scripted fake endpoint (`responses`): every method with the page's
shapes, sessions, paging, typed failures, retries for reads and none for writes."""
from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
import requests
from fake_teleum import BASE, EMAIL, PASSWORD, FakeTeleum

from teleum_api import (
    DEFAULT_URL,
    Call,
    CallPage,
    Forward,
    FreeNumbersPage,
    TeleumAuthError,
    TeleumClient,
    TeleumError,
    TeleumSessionError,
    TeleumTransientError,
    TeleumValidationError,
)

ROW = {"src": "78123232323", "dst": "78123343232", "billsec": "01:45", "disposition": "ANSWERED",
       "calldate": "2015-07-17 12:12:35", "calldatef": "17.07.2015 12:12:35", "billsecu": "105",
       "rdr": "Переадресация на: 78129232182"}


# --------------------------------------------------------------------------- every method

def test_login_is_lazy_and_sends_the_page_params(api, client):
    api.on('balance', {"contract": "00000001", "balance": "100.20", "vivaid": "1"})
    assert not client.logged_in and api.requests == []
    bal = client.balance()
    assert bal.balance == Decimal('100.20') and bal.contract == '00000001'
    assert api.cmds == ['login', 'balance']
    login, balance = api.requests
    assert login == {'cmd': 'login', 'email': EMAIL, 'paswd': PASSWORD}
    assert balance['vivaid'] == '1' and balance['token'].startswith('tok001')
    assert client.account == '00000001' and client.vivaid == '1'
    client.balance()
    assert api.cmds.count('login') == 1  # the session is kept


def test_explicit_login_returns_login_info(api, client):
    info = client.login()
    assert (info.account, info.vivaid) == ('00000001', '1') and info.token.startswith('tok001')


def test_report_calls(api, client):
    api.on('reportCalls', {"vivaid": 1, "counts": "2", "calls": [
        ROW, {**ROW, 'disposition': 'NO ANSWER', 'billsecu': '', 'billsec': '00:00'}]})
    page = client.report_calls(2015, 7, disposition='no_answer', start=0, limit=100)
    assert isinstance(page, CallPage) and page.count == 2
    assert [c.status for c in page.calls] == ['answered', 'no_answer']
    assert page.calls[0].call_date.isoformat() == '2015-07-17T12:12:35+03:00'
    sent = api.requests[-1]
    assert (sent['y'], sent['m'], sent['type'], sent['start'], sent['limit']) == \
        ('2015', '7', 'NO ANSWER', '0', '100')
    client.report_calls(2015, 7)
    assert 'type' not in api.requests[-1]
    with pytest.raises(ValueError):
        client.report_calls(2015, 7, disposition='weird')


def test_records_and_link(api, client):
    api.on('getRecordsList', '{"vivaid":"1","records":[{"id":29343264892364.232,'
                             '"src":"78123232323","dst":"78123343232","billsec":"01:45",'
                             '"disposition":"ANSWERED","calldate":"2015-07-17 12:12:35",'
                             '"calldatef":"17.07.2015 12:12:35","billsecu":"105"}]}')
    rec, = client.get_records_list(2015, 7)
    assert rec.file_id == '29343264892364.232' and rec.duration == 105
    # "link" listed twice on the page: a duplicate key, one of them empty
    api.on('getRecordLink', '{"vivaid":"1","link":"http://rec.test/a.mp3?sig=1","error":0,'
                            '"link":""}',
           {"vivaid": "1", "link": "/records/b.mp3", "error": "0"},
           {"vivaid": "1", "error": 1, "errormsg": "Файл не найден"})
    assert client.get_record_link('29343264892364.232') == 'http://rec.test/a.mp3?sig=1'
    assert api.requests[-1]['fileid'] == '29343264892364.232'
    assert client.get_record_link('x') == 'http://teleum.test/records/b.mp3'
    with pytest.raises(TeleumValidationError) as err:
        client.get_record_link('y')
    assert err.value.message == 'Файл не найден' and err.value.method == 'getRecordLink'


def test_numbers_rcids_types(api, client):
    api.on('getConnectedNumbers', {"vivaid": "1", "numbers": [
        {" number ": "78123232323", " numberform ": "+7 (812) 323-2323", "vivaid": "1"}]})
    api.on('getRCIDs', {"vivaid": "1", "rcids": [{"id": "5", "numberform": "+7 (812) 323-2323"}]})
    api.on('getForwardsTypes', {"vivaid": "1", "forwardTypes": [{"id": "1", "name": "SIP"}]})
    api.on('getForwardsRCIDs', {"vivaid": "1", "number": "17",
                                "forwardRCIDs": [{"id": "1", "name": "вызывающего"}]})
    assert client.get_connected_numbers()[0].number == '78123232323'
    assert client.get_rcids()[0].id == '5'
    assert client.get_forwards_types()[0].name == 'SIP'
    assert client.get_forwards_rcids()[0].name == 'вызывающего'


def test_forwards_and_times(api, client):
    api.on('getForwards', {"vivaid": "1", "number": "17", "forwards": [{
        "id": "55", "rtype": "1", "rnum": "101", "rtime": "20", "rcid": "1", "direction": "1",
        "rec": "0", "deleted": "0", "vpbx": "0", "moh": "0", "rcnid": "",
        "dowjs2": '[{"ttsh":"9","ttsm":"0","ttfh":"18","ttfm":"0","dts":"1","dtf":"5"}]',
        "rtname": "SIP", "cname": "вызывающего", "times": "Понедельник-Пятница 09:00-18:00"}]})
    api.on('getForwardTimes', {"vivaid": "1", "id": "55", "forwardTimes": [{
        "id": "1", "startTime": "09:00", "finishTime": "18:00", "startDayOfWeek": "1",
        "finishDayOfWeek": "5", "startDayOfWeekWord": "Понедельник",
        "finishDayOfWeekWord": "Пятница"}]})
    fwd, = client.get_forwards(17)
    assert isinstance(fwd, Forward) and fwd.number_id == '17' and fwd.callerid_number_id is None
    assert fwd.schedule[0].start == time(9) and fwd.schedule[0].day_to == 5
    assert api.requests[-1]['numberid'] == '17'
    ft, = client.get_forward_times('55')
    assert ft.end == time(18) and api.requests[-1]['id'] == '55'


def test_forward_writes(api, client):
    api.on('editForward', {"vivaid": "1", "id": "77"})
    api.on('deleteForward', {"vivaid": "1", "id": "77"})
    api.on('moveForward', {"vivaid": "1"})  # no id in the answer: the id sent is returned
    new_id = client.edit_forward(0, type_id=1, number_id=17, timeout=20, callerid_type_id=3,
                                 callerid_number_id=17, target='101', record=True, moh=True)
    assert new_id == '77'
    sent = api.requests[-1]
    assert {k: sent[k] for k in ('id', 'rtype', 'nid', 'timeout', 'rcid', 'rcnid', 'isolated',
                                 'rec', 'vpbx', 'moh', 'rnum')} == {
        'id': '0', 'rtype': '1', 'nid': '17', 'timeout': '20', 'rcid': '3', 'rcnid': '17',
        'isolated': '0', 'rec': '1', 'vpbx': '0', 'moh': '1', 'rnum': '101'}
    client.edit_forward(77, type_id=2, number_id=17, timeout=5, callerid_type_id=1,
                        target='78120000000')
    assert 'rcnid' not in api.requests[-1]
    assert client.delete_forward(77) == '77'
    assert client.move_forward('77', 'UP') == '77' and api.requests[-1]['dir'] == 'up'
    with pytest.raises(ValueError):
        client.move_forward(77, 'left')


def test_sip_methods(api, client):
    line = {"id": "3", "num": "101", "email": "a@b.c", "def": "1", "rcid": "78123232323",
            "descr": "Office", "uagent": "", "status": "offline"}
    api.on('getSIPs', {"vivaid": "1", "id": "3", "spis": [line]},
           {"vivaid": "1", "sips": [line, {**line, 'id': '4', 'def': '0'}]})
    api.on('getNextSIP', {"vivaid": "1", "num": "102"})
    api.on('editSIP', {"vivaid": "1", "id": "9", "num": "102"})
    api.on('deleteSIP', {"vivaid": "1", "id": "9"})
    assert [s.id for s in client.get_sips()] == ['3']
    assert [s.is_default for s in client.get_sips()] == [True, False]
    assert client.get_next_sip() == '102'
    assert client.edit_sip(0, email='a@b.c', description='New', callerid='78123232323',
                           password='line-secret') == ('9', '102')
    sent = api.requests[-1]
    assert (sent['descr'], sent['rcid'], sent['paswd']) == ('New', '78123232323', 'line-secret')
    assert client.delete_sip(9) == '9'


def test_tariff_methods(api, client):
    api.on('getTariffGroups', {"vivaid": "1", "tariffGroups": [{"id": "1", "name": "Номера"}]})
    api.on('getTariffs', {"vivaid": "1", "tariffs": [{
        "id": "12", "name": "8-800", "name_lng": [], "numreq": "1", "numreg": "2",
        "numreg_name": "федеральный 7-800", "numtype": "0", "numtype_name": "золотой",
        "textf": "", "connectPrice": "500.00", "aboPrice": "300"}]})
    api.on('getConnectedTariffs', {"vivaid": "1", "connected": [{
        "id": "3", "cost": "300.00", "pcost": "абонентская", "nid": "17",
        "numf": "+7 (812) 323-2323", "link_date": "2015-07-01", "name": "Базовый"}]})
    api.on('connectTariff', {"vivaid": "1", "numid": "501"})
    api.on('getNumbersTypes', {"vivaid": "1", "numberTypes": [{"id": "0", "name": "простой"}]})
    assert client.get_tariff_groups()[0].name == 'Номера'
    tariff, = client.get_tariffs(1)
    assert tariff.connect_price == Decimal('500.00') and api.requests[-1]['tg'] == '1'
    assert api.requests[-1]['cmd'] == 'getTariffs'  # not the page's wrong example cmd
    assert client.get_connected_tariffs()[0].number_id == '17'
    assert client.connect_tariff(12, 501) == '501'
    assert (api.requests[-1]['tarid'], api.requests[-1]['numid']) == ('12', '501')
    client.connect_tariff(13)
    assert 'numid' not in api.requests[-1]
    assert client.get_numbers_types()[0].name == 'простой'


def test_get_tariffs_falls_back_to_the_pages_example_cmd(api, client):
    api.on('getTariffs', {"err": 1, "errmsg": "unknown cmd"})
    api.on('getTariffGroups', lambda p: {"vivaid": "1", "tariffs": [{"id": "12", "name": "X"}]}
           if p.get('tg') else {"vivaid": "1", "tariffGroups": []})
    assert [t.id for t in client.get_tariffs(1)] == ['12']
    api.on('getTariffGroups', {"vivaid": "1", "tariffGroups": []})
    with pytest.raises(TeleumValidationError, match='unknown cmd'):
        client.get_tariffs(1)


def test_free_numbers(api, client):
    api.on('getFreeNumbers', {
        "vivaid": "1", "numbersCount": 1,
        "numbersSeries": [{"serie": "7812323", "serie_form": "+7 (812) 323-хххх"}],
        "freeNumbers  ": [{"id": "501", "number": "78123230001",
                           "numberform": "+7 (812) 323-0001", "ntype": "0", "nregion": "2",
                           "cost": "0.00"}]})
    page = client.get_free_numbers(2, 0, serie='7812323')
    assert isinstance(page, FreeNumbersPage) and page.numbers[0].id == '501'
    sent = api.requests[-1]
    assert (sent['nr'], sent['nt'], sent['start'], sent['limit'], sent['serie']) == \
        ('2', '0', '0', '50', '7812323')


# --------------------------------------------------------------------------- sessions

@pytest.mark.parametrize('style', ['http401', 'err', 'error'])
def test_session_ended_relogs_in_transparently(api, client, style):
    api.session_style = style
    api.on('balance', {"contract": "1", "balance": "5", "vivaid": "1"})
    client.balance()
    api.expire()
    assert client.balance().balance == Decimal(5)
    assert api.cmds == ['login', 'balance', 'balance', 'login', 'balance']
    assert api.requests[-1]['token'].startswith('tok002')


def test_session_ended_on_a_write_repeats_it_once(api, client):
    api.on('deleteSIP', {"vivaid": "1", "id": "9"})
    client.login()
    api.expire()
    assert client.delete_sip(9) == '9'
    assert api.cmds == ['login', 'deleteSIP', 'login', 'deleteSIP']


@pytest.mark.parametrize('reply', [(401, ''), (200, {"err": "1", "errmsg": "SESSION ENDED"}),
                                   (200, {"error": 1, "errormsg": "Session ended"}),
                                   (200, {" error ": "SESSION ENDED"}), (200, 'SESSION ENDED'),
                                   (200, {"err": 401, "errmsg": "Unauthorized"})])
def test_session_ended_twice_is_a_session_error(api, client, reply):
    api.on('balance', reply)
    with pytest.raises(TeleumSessionError) as err:
        client.balance()
    assert err.value.code == 'session' and err.value.method == 'balance'
    assert api.cmds == ['login', 'balance', 'login', 'balance']


def test_relogin_refused_is_an_auth_error(api, client, rsps):
    api.on('balance', {"contract": "1", "balance": "5", "vivaid": "1"})
    client.balance()
    api.expire()
    api.on('login', {"err": 1, "errmsg": "Неверный пароль"})
    with pytest.raises(TeleumAuthError) as err:
        client.balance()
    assert err.value.message == 'Неверный пароль' and err.value.code == 'auth'


@pytest.mark.parametrize('reply', [{"err": 1, "errmsg": "bad login"},
                                   {"error": "1", "errormsg": "bad login"},
                                   (401, {"err": 1, "errmsg": "bad login"})])
def test_bad_credentials(api, reply):
    api.on('login', reply)
    client = TeleumClient(EMAIL, 'wrong', base_url=BASE, backoff=0)
    with pytest.raises(TeleumAuthError, match='bad login'):
        client.balance()
    assert api.cmds == ['login']  # not retried: it is not transient


def test_missing_credentials_fail_without_a_request(api):
    with pytest.raises(TeleumAuthError):
        TeleumClient('', '', base_url=BASE).balance()
    assert api.requests == []


# --------------------------------------------------------------------------- paging

def _calls_server(total, report_count=True, ignore_start=False):
    rows = [{**ROW, 'src': str(1000 + i)} for i in range(total)]

    def reply(params):
        start = 0 if ignore_start else int(params['start'])
        limit = int(params['limit'])
        body = {"vivaid": "1", "calls": rows[start:start + limit]}
        if report_count:
            body['counts'] = str(total)
        return body
    return reply


@pytest.mark.parametrize('total, report_count, requests_expected', [
    (25, True, 3),    # 10 + 10 + 5: the reported count is reached
    (20, True, 2),    # count reached exactly: no empty third page
    (25, False, 4),   # no count: a short page is not the end (a capping server), the empty one is
    (20, False, 3),   # no count, exact multiple: stops on the empty page
    (0, True, 1),
])
def test_iter_calls_walks_all_pages(api, client, total, report_count, requests_expected):
    api.on('reportCalls', _calls_server(total, report_count))
    calls = list(client.iter_calls(2024, 5, page_size=10))
    assert [c.src for c in calls] == [str(1000 + i) for i in range(total)]
    assert all(isinstance(c, Call) for c in calls)
    assert api.count('reportCalls') == requests_expected
    assert [r['start'] for r in api.requests if r['cmd'] == 'reportCalls'] == \
        [str(min(10 * i, total)) for i in range(requests_expected)]


def test_iteration_is_lazy_and_stops_on_a_repeating_server(api, client):
    api.on('reportCalls', _calls_server(100))
    pages = client.iter_call_pages(2024, 5, page_size=10)
    assert api.count('reportCalls') == 0
    first = next(pages)
    assert first.count == 100 and api.count('reportCalls') == 1
    api.on('reportCalls', _calls_server(30, report_count=False, ignore_start=True))
    assert len(list(client.iter_calls(2024, 5, page_size=10))) == 10  # not an endless loop


def test_iter_calls_starts_where_asked(api, client):
    api.on('reportCalls', _calls_server(25))
    assert [c.src for c in client.iter_calls(2024, 5, page_size=10, start=20)] == \
        [str(1020 + i) for i in range(5)]


def test_iter_free_numbers(api, client):
    numbers = [{"id": str(i), "number": f"7812323{i:04d}", "numberform": "", "ntype": "0",
                "nregion": "2", "cost": "0"} for i in range(23)]

    def reply(params):
        start, limit = int(params['start']), int(params['limit'])
        return {"vivaid": "1", "numbersCount": "23", "numbersSeries": [],
                "freeNumbers": numbers[start:start + limit]}
    api.on('getFreeNumbers', reply)
    got = list(client.iter_free_numbers(2, 0, page_size=10))
    assert [n.id for n in got] == [str(i) for i in range(23)]
    assert api.count('getFreeNumbers') == 3


# --------------------------------------------------------------------------- failures, retries

def test_validation_error_keeps_the_api_message(api, client):
    api.on('editForward', {"vivaid": "1", "err": 1, "errmsg": "Таймаут должен быть от 5 до 30"})
    with pytest.raises(TeleumValidationError) as err:
        client.edit_forward(0, type_id=1, number_id=1, timeout=99, callerid_type_id=1, target='1')
    assert err.value.message == 'Таймаут должен быть от 5 до 30'
    assert str(err.value) == err.value.message and err.value.code == 'validation'
    assert api.count('editForward') == 1


@pytest.mark.parametrize('failure', [
    (502, '<html><body><h1>502 Bad Gateway</h1></body></html>'),
    (503, {"err": 1, "errmsg": "maintenance"}),
    (200, '<!DOCTYPE html><html>Teleum</html>'),
    (200, '{"contract":"00000001","balance":"100.'),  # truncated
    (200, ''),
    (200, '[1, 2]'),
    requests.exceptions.ReadTimeout('Read timed out. (read timeout=30)'),
    requests.exceptions.ConnectionError('Connection refused'),
    requests.exceptions.ChunkedEncodingError('Connection broken: IncompleteRead'),
])
def test_reads_retry_transient_failures_with_backoff(api, client, failure):
    api.on('balance', failure, failure, {"contract": "1", "balance": "2.5", "vivaid": "1"})
    assert client.balance().balance == Decimal('2.5')
    assert api.count('balance') == 3
    assert client.sleeps == [0.01, 0.02]  # exponential
    assert client.stats['balance'] == 3 and client.stats['login'] == 1


def test_reads_give_up_after_the_retries(api, client):
    api.on('getSIPs', (500, 'Internal Server Error'))
    with pytest.raises(TeleumTransientError) as err:
        client.get_sips()
    assert api.count('getSIPs') == 3  # retries=2: three attempts
    assert err.value.code == 'transient' and err.value.status == 500
    assert err.value.__cause__ is None


@pytest.mark.parametrize('failure', [
    (502, '<html>Bad Gateway</html>'), (200, '{"vivaid":"1","id":'),
    requests.exceptions.ReadTimeout('Read timed out.'),
    requests.exceptions.ConnectionError('Connection reset by peer'),
])
@pytest.mark.parametrize('write', [
    lambda c: c.edit_forward(0, type_id=1, number_id=1, timeout=20, callerid_type_id=1,
                             target='101'),
    lambda c: c.delete_forward(5), lambda c: c.move_forward(5, 'down'),
    lambda c: c.edit_sip(0, email='a@b.c', description='', callerid=''),
    lambda c: c.delete_sip(5), lambda c: c.connect_tariff(1, 2),
])
def test_writes_are_never_retried(api, client, failure, write):
    for cmd in ('editForward', 'deleteForward', 'moveForward', 'editSIP', 'deleteSIP',
                'connectTariff'):
        api.on(cmd, failure, {"vivaid": "1", "id": "1", "num": "1", "numid": "2"})
    with pytest.raises(TeleumTransientError):
        write(client)
    assert len(api.requests) == 2  # login + the one write attempt
    assert client.sleeps == []


def test_timeout_is_passed_on_every_request(rsps, monkeypatch):
    api = FakeTeleum(rsps)
    api.on('balance', {"contract": "1", "balance": "1", "vivaid": "1"})
    client = TeleumClient(EMAIL, PASSWORD, base_url=BASE, timeout=(2, 7))
    seen = []
    real_get = client.session.get

    def spy(url, **kwargs):
        seen.append(kwargs.get('timeout'))
        return real_get(url, **kwargs)
    monkeypatch.setattr(client.session, 'get', spy)
    client.balance()
    assert seen == [(2, 7), (2, 7)]
    assert api.headers[0]['User-Agent'] == 'teleum_telephony-odoo/18.0.1.0.0 (+requests)'


def test_other_http_errors_are_typed(api, client):
    api.on('balance', (404, '<html>Not Found</html>'))
    with pytest.raises(TeleumError) as err:
        client.balance()
    assert err.value.code == 'http' and err.value.status == 404
    assert api.count('balance') == 1


def test_repairs_the_pages_own_json_typos(api, client):
    # the page's call row, literally: no commas between lines, billsecu" missing its quote
    api.on('reportCalls', '{"vivaid":"1","counts":"1","calls":[{"src":"78123232323"\n'
                          '"dst":"78123343232"\n"billsec":"01:45"\n"disposition":"BUSY"\n'
                          '"calldate":"2015-07-17 12:12:35"\nbillsecu":"105"\n}]}')
    call, = client.report_calls(2015, 7).calls
    assert (call.dst, call.duration, call.status) == ('78123343232', 105, 'busy')


def test_cp1251_answers_are_decoded(api, client):
    api.on('getForwardsTypes', (200, '{"forwardTypes":[{"id":"2","name":"Автоответчик"}]}'
                                .encode('cp1251')))
    assert client.get_forwards_types()[0].name == 'Автоответчик'


# --------------------------------------------------------------------------- misc

@pytest.mark.parametrize('url, expected', [
    (None, DEFAULT_URL), ('http://bill.tech.teleum.com/api/v3', DEFAULT_URL),
    ('https://teleum.example/api/v3/', 'https://teleum.example/api/v3/'),
    ('http://127.0.0.1:8070/api/v3', 'http://127.0.0.1:8070/api/v3/'),
    (' http://h/api/v3/index.php ', 'http://h/api/v3/index.php'),
])
def test_base_url(url, expected):
    assert TeleumClient(EMAIL, PASSWORD, base_url=url).base_url == expected


def test_bad_base_url():
    with pytest.raises(ValueError):
        TeleumClient(EMAIL, PASSWORD, base_url='bill.tech.teleum.com/api/v3')


def test_stats_count_requests_per_method(api, client):
    api.on('getSIPs', {"spis": []})
    client.get_sips()
    client.get_sips()
    assert client.stats == {'login': 1, 'getSIPs': 2}


def test_download(rsps, client):
    rsps.add('GET', 'http://rec.test/records/1.mp3', body=b'ID3audio', status=200,
             content_type='audio/mpeg')
    rsps.add('GET', 'http://rec.test/records/gone.mp3', status=403)
    rsps.add('GET', 'http://rec.test/records/flaky.mp3', status=503)
    resp = client.download('http://rec.test/records/1.mp3?exp=1&sig=abcdef',
                           headers={'Range': 'bytes=0-'})
    assert resp.content == b'ID3audio' and resp.request.headers['Range'] == 'bytes=0-'
    assert resp.request.headers['User-Agent'].startswith('teleum_telephony-odoo/')
    with pytest.raises(TeleumValidationError) as err:
        client.download('http://rec.test/records/gone.mp3?exp=1&sig=abcdef')
    assert 'abcdef' not in str(err.value) and err.value.status == 403
    with pytest.raises(TeleumTransientError):
        client.download('http://rec.test/records/flaky.mp3')
    assert client.stats['download'] == 2 + 3
