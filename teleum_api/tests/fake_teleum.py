"""A scripted fake Teleum endpoint on top of `responses`, shared by the tests.

(A plain module rather than conftest.py content, so tests import it by a name no other suite uses.)
"""
from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import responses

BASE = 'http://teleum.test/api/v3/'
EMAIL = 'demo@example.com'
PASSWORD = 'Pa55-word-989864'
SESSION_ENDED = {
    'http401': (401, {'err': 1, 'errmsg': 'SESSION ENDED'}),
    'err': (200, {'err': 1, 'errmsg': 'SESSION ENDED'}),
    'error': (200, {'error': '1', 'errormsg': ' session ended '}),
}


class FakeTeleum:
    """GET BASE?cmd=X answered from per-command reply queues (the last reply repeats).

    A reply is a dict/list (JSON 200), a ``(status, body)`` tuple (body str or JSON-able), an
    exception instance (raised by the transport, as requests would), or a callable taking the
    query params and returning one of those.  Tokens are checked like the real service: a token
    not handed out by the current ``login`` gets SESSION ENDED in ``session_style``.
    """

    def __init__(self, rsps: responses.RequestsMock, base: str = BASE) -> None:
        self.replies: dict[str, list] = defaultdict(list)
        self.requests: list[dict[str, str]] = []
        self.headers: list[dict[str, str]] = []
        self.valid_tokens: set[str] = set()
        self.session_style = 'http401'
        self.logins = 0
        rsps.add_callback(responses.GET, re.compile(re.escape(base) + '.*'), callback=self._handle)
        self.on('login', self._login)

    def _login(self, params: dict) -> Any:
        if params.get('email') != EMAIL or params.get('paswd') != PASSWORD:
            return {'err': 1, 'errmsg': 'Неверный логин или пароль'}
        self.logins += 1
        token = f'tok{self.logins:03d}f3765d40fecd44ee0a03480ba'
        self.valid_tokens = {token}
        return {'account': '00000001', 'token': token, 'vivaid': 1}

    def expire(self) -> None:
        self.valid_tokens = set()

    def on(self, cmd: str, *replies: Any) -> FakeTeleum:
        self.replies[cmd] = list(replies)
        return self

    def count(self, cmd: str) -> int:
        return sum(1 for r in self.requests if r.get('cmd') == cmd)

    @property
    def cmds(self) -> list[str]:
        return [r.get('cmd', '') for r in self.requests]

    def _handle(self, request: Any) -> Any:
        params = dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))
        self.requests.append(params)
        self.headers.append(dict(request.headers))
        cmd = params.get('cmd', '')
        if cmd != 'login' and params.get('token') not in self.valid_tokens:
            status, body = SESSION_ENDED[self.session_style]
            return status, {'Content-Type': 'application/json'}, json.dumps(body)
        queue = self.replies.get(cmd)
        if not queue:
            return 404, {}, f'no fixture for {cmd}'
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(reply):
            reply = reply(params)
        if isinstance(reply, BaseException):
            return reply
        status, body = reply if isinstance(reply, tuple) else (200, reply)
        if not isinstance(body, str | bytes):
            body = json.dumps(body, ensure_ascii=False)
        ctype = 'text/html' if isinstance(body, str) and body.lstrip().startswith('<') \
            else 'application/json; charset=utf-8'
        return status, {'Content-Type': ctype}, body
