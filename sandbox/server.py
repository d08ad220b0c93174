"""HTTP side of the Teleum sandbox: the werkzeug app, faults, stats, control endpoints, recordings."""

import hashlib
import json
import re
import socket
import threading
from collections import Counter
from datetime import date, datetime

from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .api import SESSION_ENDED, Api, SessionEnded
from .data import DEFAULT_ACCOUNTS, MSK, external_numbers, recording_bytes
from .faults import Faults
from .speech import DEFAULT_KEY, SpeechSandbox

API_PATHS = ("/api/v3/", "/api/v3", "/api/v3/index.php")
JSON_TYPE = "application/json; charset=utf-8"
_SECRET = re.compile(r"((?:token|paswd|password|sig)=)[^&\s\"']*", re.IGNORECASE)
_HTTP_TITLES = {403: "403 Forbidden", 404: "404 Not Found", 405: "405 Not Allowed",
                500: "500 Internal Server Error", 502: "502 Bad Gateway"}


def redact(text):
    """Mask token/paswd/password/sig values in a URL or log line."""
    return _SECRET.sub(r"\1***", text)


def php_json(payload):
    # like PHP's json_encode: \uXXXX escapes and "\/" (valid JSON, pure ASCII on the wire)
    return json.dumps(payload, separators=(",", ":")).replace("/", "\\/")


def html_error(code):
    """The kind of page a front nginx answers with when the backend fails."""
    title = _HTTP_TITLES[code]
    body = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
    return Response(body, code, content_type="text/html")


class _RequestHandler(WSGIRequestHandler):
    """Silent unless the sandbox is verbose; secrets are redacted from every line it logs."""

    def log(self, type, message, *args):
        if type == "info" and not getattr(self.server, "sandbox_verbose", False):
            return
        super().log(type, "%s", redact(message % args if args else message))


def _as_date(value):
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value))


def _account_specs(accounts):
    if accounts is None:
        return DEFAULT_ACCOUNTS
    if isinstance(accounts, dict):  # {email: password}
        return [{"email": e, "password": p} for e, p in accounts.items()]
    return [dict(a) if isinstance(a, dict) else {"email": a[0], "password": a[1]} for a in accounts]


def _proxy(name, doc):
    return property(lambda self: getattr(self.api, name), lambda self, value: setattr(self.api, name, value), doc=doc)


class TeleumSandbox:
    """A stateful fake of the Teleum API v3 served over real HTTP (see the package docstring)."""

    session_ttl = _proxy("session_ttl", "Seconds of inactivity after which a token dies.")
    record_link_ttl = _proxy("record_link_ttl", "Lifetime in seconds of getRecordLink links.")
    deleted_forward_ttl = _proxy("deleted_forward_ttl", "Seconds a deleted forward stays listed.")

    def __init__(self, seed=1, months=3, calls_per_month=200, session_ttl=900, session_error_style="http401",
                 today=None, accounts=None, record_link_ttl=300, verbose=False, speech_key=DEFAULT_KEY):
        if session_error_style not in ("http401", "body"):
            raise ValueError("session_error_style must be 'http401' or 'body'")
        if months < 0 or calls_per_month < 0:
            raise ValueError("months and calls_per_month must be >= 0")
        self.seed = seed
        self.today = _as_date(today) or datetime.now(MSK).date()
        self.session_error_style = session_error_style
        self.verbose = verbose
        self.timeout_sleep = 3.0  # how long a 'timeout' fault holds the answer back
        self.api = Api(seed, _account_specs(accounts), months, calls_per_month, self.today, session_ttl,
                       record_link_ttl)
        self.faults = Faults()
        self._account_latency = {}  # e-mail -> seconds every API answer of that account waits
        self._stats = Counter()
        self._stats_lock = threading.Lock()
        self._server = self._thread = None
        self.host = self.port = None
        self._stopping = threading.Event()  # wakes requests sleeping in latency/timeout faults
        #: the OpenAI-compatible speech service served under /speech (sandbox/speech.py)
        self.speech = SpeechSandbox(speech_key, stopping=self._stopping)

    # --- lifecycle ---------------------------------------------------------------------

    def start(self, host="127.0.0.1", port=0):
        """Serve in a daemon thread; ``port=0`` picks a free port. Returns self."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        self._stopping.clear()
        server = make_server(host, port, self, threaded=True, request_handler=_RequestHandler)
        server.sandbox_verbose = self.verbose
        self.host = "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host
        self.port = server.port
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"teleum-sandbox-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()  # serve_forever() closes the listening socket on its way out
        thread.join(5)
        self._server = self._thread = None

    def __enter__(self):
        return self if self._server is not None else self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self):
        if self.port is None:
            raise RuntimeError("sandbox not started")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    @property
    def url(self):
        return self.base_url + "api/v3/"

    @property
    def speech_url(self):
        """Base URL of the speech service (``…/speech/v1``), as a speech-service setting takes it."""
        return self.base_url + "speech/v1"

    # --- Python control API (also served under /_sandbox/) -----------------------------

    def stats(self):
        with self._stats_lock:
            requests = dict(self._stats)
        return {"requests": requests, "total": sum(requests.values())}

    def reset_stats(self):
        with self._stats_lock:
            self._stats.clear()

    def expire_sessions(self, email=None):
        self.api.expire_sessions(email)

    def set_faults(self, latency=0.0, error_rate=0.0, malformed_rate=0.0, drop_rate=0.0, methods=None, seed=0,
                   timeout_rate=0.0, timeout_sleep=None):
        self.faults.configure(latency, error_rate, malformed_rate, drop_rate, timeout_rate, methods, seed)
        if timeout_sleep is not None:
            self.timeout_sleep = float(timeout_sleep)

    def set_account_latency(self, email, seconds):
        """Every API request of one account (its login included) waits ``seconds`` before it is
        answered, on top of the faults; 0 removes it. Recording downloads are not slowed."""
        email, seconds = str(email).strip().lower(), float(seconds)
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        if email not in self.api.accounts:
            raise ValueError(f"unknown account {email!r}")
        with self._stats_lock:
            if seconds:
                self._account_latency[email] = seconds
            else:
                self._account_latency.pop(email, None)

    def inject(self, kind, method=None, count=1):
        self.faults.inject(kind, method, count)

    def clear_faults(self):
        """No fault left, no account slowed."""
        self.faults.clear()
        with self._stats_lock:
            self._account_latency.clear()

    def add_call(self, email, **row):
        return self.api.add_call(email, **row)

    def call_rows(self, email, year, month):
        """Every call row of a month as reportCalls writes it, oldest first (the truth for tests)."""
        return self.api.call_rows(email, year, month)

    def set_paging(self, cap=0, counts="total", order="asc", ignore_start=False, late_rows=0):
        """How reportCalls and getFreeNumbers page (see sandbox/paging.py); no arguments: the default."""
        self.api.paging.configure(cap, counts, order, ignore_start, late_rows)

    def paging(self):
        return self.api.paging.as_dict()

    def set_password(self, email, new):
        self.api.set_password(email, new)

    def state(self, email):
        return self.api.state(email)

    def external_numbers(self, n):
        return external_numbers(self.seed, int(n))

    # --- WSGI --------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/speech/"):
            return self.speech(dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + "/speech",
                                    PATH_INFO=path[len("/speech"):]), start_response)
        request = Request(environ)
        try:
            response = self._route(request)
        except HTTPException as exc:  # e.g. 416 from a bad Range
            response = exc
        return response(environ, start_response)

    def _route(self, request):
        path = request.path
        if path in API_PATHS:
            return self._api(request)
        if path.startswith("/records/") and path.endswith(".mp3"):
            return self._download(request, path[len("/records/"):-len(".mp3")])
        if path.startswith("/_sandbox/"):
            return self._control(request, path[len("/_sandbox/"):].strip("/"))
        if path == "/":
            return Response("Teleum API v3 sandbox: the API is at /api/v3/\n", mimetype="text/plain")
        return html_error(404)

    def _count(self, key):
        with self._stats_lock:
            self._stats[key] += 1

    def _pause(self, seconds):
        if seconds > 0:
            self._stopping.wait(seconds)

    @staticmethod
    def _drop(request):
        # Close the socket both ways and let werkzeug treat it as a dropped connection: the
        # client reads EOF before any status line (requests raises ConnectionError).
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        raise ConnectionAbortedError("sandbox fault: connection dropped")

    def _begin(self, request, key):
        """Count the request, apply its latency and a drop; return the fault left to apply."""
        self._count(key)
        latency, fault = self.faults.pick(key)
        self._pause(latency)
        if fault == "drop":
            self._drop(request)
        return fault

    def _api(self, request):
        args = request.values.to_dict()
        cmd = args.get("cmd", "").strip()
        fault = self._begin(request, cmd or "(none)")
        if self._account_latency:
            email = args.get("email", "").strip().lower() if cmd == "login" else self.api.email_of(args.get("token"))
            self._pause(self._account_latency.get(email, 0.0))
        if fault in ("error500", "error502"):  # the backend never saw the request
            return html_error(int(fault[-3:]))
        try:
            if fault == "session":
                raise SessionEnded
            payload, status = self.api.handle(cmd, args, request.host_url), 200
        except SessionEnded:
            payload = {"err": 1, "errmsg": SESSION_ENDED}
            status = 401 if self.session_error_style == "http401" else 200
        body = php_json(payload)
        if fault == "malformed":  # processed, but the answer is cut short
            body = body[:max(1, len(body) // 2)]
        elif fault == "timeout":  # processed, answered after the client has given up
            self._pause(self.timeout_sleep)
        return Response(body, status, content_type=JSON_TYPE)

    def _download(self, request, fileid):
        fault = self._begin(request, "download")
        if fault in ("error500", "error502"):
            return html_error(int(fault[-3:]))
        if fault == "session" or not self.api.check_link(fileid, request.args.get("exp"), request.args.get("sig")):
            return html_error(403)
        data = recording_bytes(fileid)
        if fault == "timeout":
            self._pause(self.timeout_sleep)
        if fault == "malformed":  # the transfer breaks: full Content-Length, half of the bytes
            response = Response([data[:len(data) // 2]], mimetype="audio/mpeg")
            response.headers["Content-Length"] = str(len(data))
            return response
        response = Response(data, mimetype="audio/mpeg")
        response.set_etag(hashlib.sha1(data).hexdigest())
        response.headers["Accept-Ranges"] = "bytes"  # werkzeug only says so on range requests
        response.make_conditional(request, accept_ranges=True, complete_length=len(data))
        del response.headers["Date"]  # the HTTP server adds its own
        return response

    # --- /_sandbox/ control endpoints ---------------------------------------------------

    def _control(self, request, action):
        reads = {
            "stats": lambda q, b: self.stats(),
            "state": lambda q, b: self.state(q["email"]),
            "external_numbers": lambda q, b: {"numbers": self.external_numbers(q.get("n", 10))},
            "paging": lambda q, b: self.paging(),
            "call_rows": lambda q, b: {"calls": self.call_rows(q["email"], q["y"], q["m"])},
        }
        writes = {
            "reset_stats": lambda q, b: self.reset_stats(),
            "expire_sessions": lambda q, b: self.expire_sessions(b.get("email")),
            "faults": lambda q, b: self.set_faults(**b),
            "inject": lambda q, b: self.inject(**b),
            "clear_faults": lambda q, b: self.clear_faults(),
            "account_latency": lambda q, b: self.set_account_latency(b["email"], b["seconds"]),
            "add_call": lambda q, b: {"call": self.add_call(b.pop("email"), **b)},
            "set_password": lambda q, b: self.set_password(b["email"], b["password"]),
            "set_paging": lambda q, b: self.set_paging(**b),
        }
        handler = reads.get(action) or writes.get(action)
        if handler is None:
            return self._control_answer({"ok": False, "error": f"unknown control action {action!r}"}, 404)
        if request.method != ("GET" if action in reads else "POST"):
            return self._control_answer({"ok": False, "error": "method not allowed"}, 405)
        body = request.get_json(force=True, silent=True) if request.data else {}
        if not isinstance(body, dict):
            return self._control_answer({"ok": False, "error": "expected a JSON object"}, 400)
        try:
            result = handler(request.args.to_dict(), body)
        except (KeyError, TypeError, ValueError) as exc:
            return self._control_answer({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, 400)
        return self._control_answer(dict(result or {}, ok=True))

    @staticmethod
    def _control_answer(payload, status=200):
        return Response(json.dumps(payload, ensure_ascii=False), status, content_type=JSON_TYPE)
