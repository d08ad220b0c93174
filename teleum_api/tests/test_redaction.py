"""Secrets (password, token) never reach logs, exception texts or reprs.

`responses` replaces the transport, so urllib3 never logs under it: the leak checks that involve
urllib3's own DEBUG line run against a tiny real HTTP server on 127.0.0.1.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from fake_teleum import EMAIL, PASSWORD

from teleum_api import TeleumClient, TeleumError, TeleumTransientError, redact, redact_params
from teleum_api.redact import RedactingFilter

TOKEN = 'f3765d40fecd44ee0a03480ba0043bb2'


@pytest.mark.parametrize('text', [
    f'http://h/api/v3/?cmd=login&email=demo%40example.com&paswd={PASSWORD}',
    f'GET /api/v3/?cmd=balance&token={TOKEN}&vivaid=1 HTTP/1.1',
    f"HTTPConnectionPool(host='h', port=80): Max retries exceeded with url: "
    f"/api/v3/?cmd=balance&vivaid=1&token={TOKEN} (Caused by ReadTimeoutError())",
    f'{{"account":"00000001", "token":"{TOKEN}", "vivaid":1}}',
    f"{{'token': '{TOKEN}', 'paswd': '{PASSWORD}'}}",
    f'PASSWORD={PASSWORD}; Token%3D{TOKEN}',
    f'https://user:{PASSWORD}@h/api/v3/',
])
def test_redact_masks_secrets(text):
    out = redact(text)
    assert PASSWORD not in out and TOKEN not in out and '***' in out


def test_redact_keeps_the_rest():
    assert redact('http://h/api/v3/?cmd=balance&vivaid=1&token=abc&y=2015') == \
        'http://h/api/v3/?cmd=balance&vivaid=1&token=***&y=2015'
    assert redact('no secrets, mytoken=1 stays') == 'no secrets, mytoken=1 stays'
    assert redact('echo Pa55word here', secrets=['Pa55word', None, '1']) == 'echo *** here'
    assert redact_params({'cmd': 'login', 'paswd': PASSWORD, ' Token ': TOKEN}) == \
        {'cmd': 'login', 'paswd': '***', ' Token ': '***'}


def test_filter_rewrites_records_with_args():
    record = logging.LogRecord('urllib3.connectionpool', logging.DEBUG, __file__, 1,
                               '%s://%s:%s "%s %s %s" %s %s',
                               ('http', 'h', 80, 'GET', f'/api/v3/?cmd=x&token={TOKEN}',
                                'HTTP/1.1', 200, 10), None)
    assert RedactingFilter().filter(record) is True
    assert TOKEN not in record.getMessage() and 'token=***' in record.getMessage()


def test_filter_is_installed_on_urllib3():
    assert any(isinstance(f, RedactingFilter)
               for f in logging.getLogger('urllib3.connectionpool').filters)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        params = dict(parse_qsl(urlsplit(self.path).query))
        cmd = params.get('cmd')
        if cmd == 'login':
            body, status = {'account': '00000001', 'token': TOKEN, 'vivaid': 1}, 200
        elif params.get('token') != TOKEN:
            body, status = {'err': 1, 'errmsg': 'SESSION ENDED'}, 401
        elif cmd == 'balance':
            body, status = {'contract': '00000001', 'balance': '100.20', 'vivaid': '1'}, 200
        else:
            body, status = {'err': 1, 'errmsg': f'bad request token={TOKEN}'}, 500
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep the server quiet
        pass


@pytest.fixture
def server_url():
    server = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}/api/v3'
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _assert_clean(*texts: str) -> None:
    for text in texts:
        assert PASSWORD not in text and TOKEN not in text, text


def test_no_secret_in_any_log_line_over_real_http(caplog, server_url):
    caplog.set_level(logging.DEBUG)  # root at DEBUG: urllib3 and teleum_api log everything
    client = TeleumClient(EMAIL, PASSWORD, base_url=server_url, retries=1, backoff=0)
    assert client.balance().contract == '00000001'
    with pytest.raises(TeleumTransientError) as err:
        client.get_sips()  # HTTP 500 whose body echoes the token
    client.forget_session()
    client._token = 'stale-token-123456'  # the server answers 401 SESSION ENDED, then re-login
    assert client.balance().balance
    logged = caplog.text + '\n'.join(r.getMessage() for r in caplog.records)
    assert 'urllib3.connectionpool' in {r.name for r in caplog.records}
    assert 'token=***' in logged and 'paswd=***' in logged
    _assert_clean(logged, str(err.value), repr(err.value), err.value.detail or '', repr(client))
    assert 'stale-token-123456' not in logged


def test_transport_errors_do_not_leak_the_url(caplog):
    caplog.set_level(logging.DEBUG)
    client = TeleumClient(EMAIL, PASSWORD, base_url=f'http://127.0.0.1:{_closed_port()}/api/v3/',
                          retries=1, backoff=0, timeout=(0.5, 0.5))
    with pytest.raises(TeleumTransientError) as err:
        client.balance()  # the login itself cannot connect
    exc = err.value
    assert exc.__cause__ is None and exc.__context__ is None
    assert 'ConnectionError' in (exc.detail or '') and 'paswd=***' in (exc.detail or '')
    formatted = ''.join(traceback.format_exception(exc))
    _assert_clean(str(exc), repr(exc), exc.detail or '', formatted, caplog.text)


def test_mocked_timeout_with_url_in_message(api, client, caplog):
    caplog.set_level(logging.DEBUG)
    timeout = requests.exceptions.ReadTimeout(
        f"HTTPConnectionPool(host='teleum.test', port=80): Read timed out. url=/api/v3/?"
        f"cmd=balance&token={TOKEN}&paswd={PASSWORD}")
    api.on('balance', timeout)
    with pytest.raises(TeleumTransientError) as err:
        client.balance()
    formatted = ''.join(traceback.format_exception(err.value))
    _assert_clean(str(err.value), repr(err.value), err.value.detail, formatted, caplog.text)
    assert api.count('balance') == 3


def test_login_answer_and_client_repr_hide_the_token(api, client, caplog):
    caplog.set_level(logging.DEBUG)
    info = client.login()
    token = info.token
    assert token not in repr(info) and token not in repr(client) and PASSWORD not in repr(client)
    assert token not in caplog.text and PASSWORD not in caplog.text


def test_error_messages_never_echo_secrets(api, client):
    api.on('balance', {'err': 1, 'errmsg': f'denied for paswd={PASSWORD}'})
    with pytest.raises(TeleumError) as err:
        client.balance()
    _assert_clean(str(err.value), repr(err.value), err.value.message)
    api.on('getSIPs', lambda p: {'err': 1, 'errmsg': f"token {p['token']} is odd"})
    with pytest.raises(TeleumError) as err:
        client.get_sips()
    assert client._token not in str(err.value)
