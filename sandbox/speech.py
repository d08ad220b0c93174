"""An OpenAI-compatible speech service for the sandbox: transcriptions and chat-completion summaries.

Served inside the Teleum sandbox under ``/speech`` (base URL ``http://host:port/speech/v1``) or on
a port of its own (``SpeechSandbox().start()``, ``python -m sandbox --speech-port N``: base URL
``http://host:N/v1``)::

    POST /v1/audio/transcriptions   multipart: file, model, language, prompt, response_format
                                    (json | text | verbose_json)
    POST /v1/chat/completions       JSON: model, messages
    GET  /v1/models
    Authorization: Bearer <key>     (``key=None``: no key asked, like a self-hosted server)

What it says is a pure function of what it hears: the transcript of a file is made from the
SHA-256 of its bytes (a made-up sales call with a five-digit order number, in Russian, or in
English for ``language=en``), so a test can tell that each recording got the text of its own
audio (:func:`transcript_of` gives the expected answer).  The segments share out the length of the
audio (a WAV's own; otherwise its size read as 32 kbit/s, the sandbox's MP3s).  A summary is made
of the sentences it recognises in the transcript, in English if the instructions ask for English.

Errors look like OpenAI's (``{"error": {"message", "type", "param", "code"}}``): a missing or
wrong key (401, the wrong key echoed half-masked, as OpenAI does), an unknown model (404), a
format the model does not give (400: gpt-4o-*-transcribe take json or text only), audio under
0.1 s (400), a file over ``max_bytes`` (413).

Faults (``inject(kind, endpoint=None, count=1, retry_after=1, seconds=None)``; ``endpoint``:
``'transcriptions'``, ``'chat'`` or None for both): ``rate_limit`` (429 with ``Retry-After``),
``quota`` (429 ``insufficient_quota``), ``error500``, ``error503`` (an nginx page), ``slow`` (the
answer held back ``seconds``, default ``slow_seconds``), ``unauthorized`` (401 whatever the key),
``drop`` (the connection closed before any answer).  ``set_latency(seconds)`` slows every answer.
``stats()`` counts the requests per endpoint and lists the SHA-256 of every file transcribed.
The same controls are served under ``/_sandbox/`` (``stats``, ``reset_stats``, ``inject``,
``clear_faults``, ``set_key``, ``set_latency``).
"""

import hashlib
import io
import json
import re
import socket
import threading
import time
import wave
from collections import Counter

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

DEFAULT_KEY = "sandbox-speech-key"
TRANSCRIPTION_MODELS = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe")
TEXT_ONLY_MODELS = ("gpt-4o-transcribe", "gpt-4o-mini-transcribe")
CHAT_MODELS = ("gpt-4o-mini", "gpt-4o", "gpt-4.1-mini")
MAX_BYTES = 25 * 1024 * 1024
FAULT_KINDS = ("rate_limit", "quota", "error500", "error503", "slow", "unauthorized", "drop")
ENDPOINTS = ("transcriptions", "chat")
JSON_TYPE = "application/json"

# --- what is said: (transcript sentence, summary line) per part of the call, Russian and English ---

_AGENTS = ("Анна", "Иван", "Мария", "Олег")
_AGENTS_EN = ("Anna", "Ivan", "Maria", "Oleg")
_REQUESTS = {
    "ru": (
        ("Добрый день, я хотел бы оформить возврат по заказу {order}.", "Клиент просит возврат по заказу {order}."),
        ("Подскажите, когда приедет доставка по заказу {order}?", "Клиент спрашивает срок доставки заказа {order}."),
        ("Мне нужен счёт на оплату по заказу {order}.", "Клиенту нужен счёт на оплату заказа {order}."),
        ("Хотим подключить ещё две линии, договор {order}.", "Клиент хочет ещё две линии по договору {order}."),
        ("У нас перестала работать переадресация, договор {order}.",
         "У клиента не работает переадресация (договор {order})."),
        ("Хочу повторить заказ {order}, только вдвое больше.",
         "Клиент хочет повторить заказ {order} в двойном объёме."),
    ),
    "en": (
        ("Good afternoon, I would like a refund for order {order}.",
         "The customer asks for a refund of order {order}."),
        ("Could you tell me when order {order} will be delivered?", "The customer asks when order {order} arrives."),
        ("I need an invoice for order {order}.", "The customer needs an invoice for order {order}."),
        ("We want two more lines on contract {order}.", "The customer wants two more lines on contract {order}."),
        ("Our call forwarding stopped working, contract {order}.",
         "The customer's call forwarding is broken (contract {order})."),
        ("I want to repeat order {order}, but twice as much.", "The customer wants order {order} again, doubled."),
    ),
}
_DETAILS = {
    "ru": ("Можно успеть до пятницы?", "Удобнее всего прислать документы на почту.",
           "Мы работаем с девяти до шести.", "Это уже второй раз за месяц."),
    "en": ("Can it be done before Friday?", "Please send the documents by e-mail.",
           "We work from nine to six.", "This is the second time this month."),
}
_AGREEMENTS = {
    "ru": (
        ("Хорошо, договорились: оформим всё за три рабочих дня.",
         "Договорились: всё будет оформлено за три рабочих дня."),
        ("Хорошо, договорились: пришлём документы сегодня.", "Договорились: документы отправят сегодня."),
        ("Хорошо, договорились: привезём в четверг.", "Договорились о доставке в четверг."),
        ("Хорошо, договорились: менеджер подготовит предложение.", "Договорились: менеджер подготовит предложение."),
    ),
    "en": (
        ("All right, agreed: everything will be done in three working days.",
         "Agreed: everything done within three working days."),
        ("All right, agreed: we send the documents today.", "Agreed: the documents go out today."),
        ("All right, agreed: we deliver on Thursday.", "Agreed: delivery on Thursday."),
        ("All right, agreed: a manager will prepare an offer.", "Agreed: a manager prepares an offer."),
    ),
}
_NEXT = {
    "ru": (
        ("Я перезвоню вам завтра до обеда.", "Следующий шаг: перезвонить клиенту завтра до обеда."),
        ("Я перезвоню вам в понедельник.", "Следующий шаг: перезвонить клиенту в понедельник."),
        ("Я напишу вам сегодня вечером.", "Следующий шаг: написать клиенту сегодня вечером."),
    ),
    "en": (
        ("I will call you back tomorrow morning.", "Next step: call the customer back tomorrow morning."),
        ("I will call you back on Monday.", "Next step: call the customer back on Monday."),
        ("I will write to you tonight.", "Next step: write to the customer tonight."),
    ),
}
_GREETING = {"ru": "Здравствуйте, компания «Альфа-Сервис», меня зовут {agent}.",
             "en": "Hello, Alpha Service, {agent} speaking."}
_CLOSING = {"ru": "Спасибо, до свидания.", "en": "Thank you, goodbye."}
_LANGUAGE_NAMES = {"ru": "russian", "en": "english"}
_FALLBACK = {"ru": "Краткое содержание: {words}", "en": "In short: {words}"}
_NO_TALK = {"ru": "В записи нет разговора.", "en": "The recording holds no conversation."}


def audio_duration(audio):
    """Seconds of audio: a WAV's own length, otherwise the size read as 32 kbit/s."""
    if audio[:4] == b"RIFF" and audio[8:12] == b"WAVE":
        try:
            with wave.open(io.BytesIO(audio)) as wav:
                return wav.getnframes() / float(wav.getframerate())
        except (wave.Error, EOFError, ZeroDivisionError):
            pass
    return len(audio) * 8 / 32000.0


def transcript_of(audio, language="ru"):
    """The verbose_json answer for ``audio`` (bytes): a pure function of its SHA-256."""
    lang = "en" if (language or "ru").lower().startswith("en") else "ru"
    digest = hashlib.sha256(audio).digest()
    order = f"{10000 + int.from_bytes(digest[:4], 'big') % 90000}"
    agent = (_AGENTS_EN if lang == "en" else _AGENTS)[digest[4] % len(_AGENTS)]
    sentences = [
        _GREETING[lang].format(agent=agent),
        _REQUESTS[lang][digest[5] % len(_REQUESTS[lang])][0].format(order=order),
        _DETAILS[lang][digest[6] % len(_DETAILS[lang])],
        _AGREEMENTS[lang][digest[7] % len(_AGREEMENTS[lang])][0],
        _NEXT[lang][digest[8] % len(_NEXT[lang])][0],
        _CLOSING[lang],
    ]
    duration = round(audio_duration(audio), 2)
    total = sum(len(s) for s in sentences)
    segments, start = [], 0.0
    for i, sentence in enumerate(sentences):  # each sentence gets its share of the audio
        end = duration if i == len(sentences) - 1 else round(start + duration * len(sentence) / total, 2)
        segments.append({"id": i, "seek": 0, "start": start, "end": end, "text": " " + sentence, "tokens": [],
                         "temperature": 0.0, "avg_logprob": -0.2, "compression_ratio": 1.3, "no_speech_prob": 0.01})
        start = end
    return {"task": "transcribe", "language": _LANGUAGE_NAMES.get((language or "ru").lower()[:2], "russian"),
            "duration": duration, "text": " ".join(sentences), "segments": segments}


def _pattern(template):
    return re.compile(re.escape(template).replace(re.escape("{order}"), r"(?P<order>\d{5})"))


_RECOGNISED = [(_pattern(table[lang][i][0]), table, i) for table in (_REQUESTS, _AGREEMENTS, _NEXT)
               for lang in ("ru", "en") for i in range(len(table[lang]))]


def summary_of(transcript, instructions=""):
    """The summary the chat model gives: the lines of the sentences it recognises (what was asked,
    agreed, and the next step), in English if the instructions ask for English, else in Russian."""
    lang = "en" if re.search(r"\benglish\b", instructions or "", re.I) else "ru"
    lines = []
    for pattern, table, i in _RECOGNISED:
        found = pattern.search(transcript or "")
        if found:
            line = table[lang][i][1]
            lines.append(line.format(order=found.group("order")) if "{order}" in line else line)
    if lines:
        return "\n".join(lines)
    words = (transcript or "").split()
    if not words:
        return _NO_TALK[lang]
    return _FALLBACK[lang].format(words=" ".join(words[:20]) + ("…" if len(words) > 20 else ""))


def _masked(key):
    return key[:3] + "*" * max(4, len(key) - 7) + key[-4:] if len(key) > 8 else "*" * len(key)


class _Quiet(WSGIRequestHandler):
    def log(self, type, message, *args):
        if type != "info":  # request lines carry no secret here (the key is in a header), but stay quiet
            super().log(type, "%s", message % args if args else message)


class SpeechError(Exception):
    def __init__(self, status, message, type_="invalid_request_error", code=None, param=None, headers=None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param
        self.headers = headers or {}


class SpeechSandbox:
    """The speech service: a WSGI app (mounted by ``TeleumSandbox`` under ``/speech``) that can
    also serve on a port of its own."""

    def __init__(self, key=DEFAULT_KEY, max_bytes=MAX_BYTES, slow_seconds=3.0, stopping=None):
        self.key = key
        self.max_bytes = max_bytes
        self.slow_seconds = slow_seconds
        self._lock = threading.Lock()
        # set while the server stops: wakes slow answers (shared with the Teleum sandbox that mounts it)
        self._stopping = stopping or threading.Event()
        self._server = self._thread = None
        self.host = self.port = None
        self.clear_faults()
        self.reset_stats()

    # --- control ----------------------------------------------------------------------

    def stats(self):
        with self._lock:
            return {"requests": dict(self._requests), "total": sum(self._requests.values()),
                    "transcribed": list(self._transcribed), "summarized": self._summarized}

    def reset_stats(self):
        with self._lock:
            self._requests, self._transcribed, self._summarized = Counter(), [], 0

    def inject(self, kind, endpoint=None, count=1, retry_after=1, seconds=None):
        """Queue ``count`` faults of ``kind`` for the next requests to ``endpoint`` (None: either)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; expected one of {', '.join(ENDPOINTS)}")
        if int(count) < 1 or float(retry_after) < 0:
            raise ValueError("count must be >= 1 and retry_after >= 0")
        with self._lock:
            self._queue.append({"kind": kind, "endpoint": endpoint, "left": int(count),
                                "retry_after": retry_after, "seconds": seconds})

    def clear_faults(self):
        with self._lock:
            self._queue, self.latency = [], 0.0

    def set_latency(self, seconds=0.0):
        if float(seconds) < 0:
            raise ValueError("latency must be >= 0")
        self.latency = float(seconds)

    def set_key(self, key=DEFAULT_KEY):
        """The key the service takes (None: none asked)."""
        self.key = key

    def _fault(self, endpoint):
        with self._lock:
            for entry in self._queue:
                if entry["endpoint"] in (None, endpoint):
                    entry["left"] -= 1
                    if entry["left"] <= 0:
                        self._queue.remove(entry)
                    return entry
        return None

    # --- lifecycle (own port) -------------------------------------------------------------

    def start(self, host="127.0.0.1", port=0):
        if self._server is not None:
            raise RuntimeError("speech sandbox already started")
        self._stopping.clear()
        self._server = make_server(host, port, self, threaded=True, request_handler=_Quiet)
        self.host, self.port = ("127.0.0.1" if host in ("", "0.0.0.0") else host), self._server.port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"speech-sandbox-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._server = self._thread = None

    def __enter__(self):
        return self if self._server is not None else self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def url(self):
        """The base URL to configure (ends in /v1) when serving on its own port."""
        if self.port is None:
            raise RuntimeError("speech sandbox not started")
        return f"http://{self.host}:{self.port}/v1"

    # --- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        path = request.path.rstrip("/")
        if path.startswith("/_sandbox/"):
            response = self._control(request, path[len("/_sandbox/"):])
        else:
            response = self._api(request, path)
        return response(environ, start_response)

    def _api(self, request, path):
        routes = {"/v1/audio/transcriptions": ("transcriptions", "POST", self._transcribe),
                  "/v1/chat/completions": ("chat", "POST", self._chat), "/v1/models": ("models", "GET", self._models)}
        if path not in routes:
            return _error(SpeechError(404, f"Invalid URL ({request.method} {request.path})"))
        endpoint, method, handler = routes[path]
        with self._lock:
            self._requests[endpoint] += 1
        if self.latency:
            self._stopping.wait(self.latency)
        fault = self._fault(endpoint) if endpoint in ENDPOINTS else None
        try:
            if request.method != method:
                raise SpeechError(405, f"Method {request.method} not allowed")
            self._faults_before(request, fault)
            self._check_key(request)
            payload = handler(request)
        except SpeechError as exc:
            return _error(exc)
        if fault and fault["kind"] == "slow":  # processed, but the answer comes late
            self._stopping.wait(float(fault["seconds"] if fault["seconds"] is not None else self.slow_seconds))
        if isinstance(payload, str):
            return Response(payload, 200, content_type="text/plain; charset=utf-8")
        return Response(json.dumps(payload, ensure_ascii=False), 200, content_type=JSON_TYPE)

    def _faults_before(self, request, fault):
        kind = fault and fault["kind"]
        if kind == "drop":
            sock = request.environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            raise ConnectionAbortedError("speech sandbox fault: connection dropped")
        if kind == "rate_limit":
            raise SpeechError(429, "Rate limit reached for requests. Please try again later.", "requests",
                              "rate_limit_exceeded", headers={"Retry-After": f"{fault['retry_after']:g}"})
        if kind == "quota":
            raise SpeechError(429, "You exceeded your current quota, please check your plan and billing details.",
                              "insufficient_quota", "insufficient_quota")
        if kind in ("error500", "error503"):
            raise SpeechError(int(kind[-3:]), "")
        if kind == "unauthorized":
            raise SpeechError(401, "Your authentication token has been invalidated. Please try signing in again.",
                              code="invalid_api_key")

    def _check_key(self, request):
        if self.key is None:
            return
        header = request.headers.get("Authorization", "")
        if not header:
            raise SpeechError(401, "You didn't provide an API key. You need to provide your API key in an "
                                   "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
        given = header[7:].strip() if header[:7].lower() == "bearer " else header
        if given != self.key:
            raise SpeechError(401, f"Incorrect API key provided: {_masked(given)}.", code="invalid_api_key")

    def _transcribe(self, request):
        if request.content_length and request.content_length > self.max_bytes + 64 * 1024:
            raise SpeechError(413, f"Maximum content size limit ({self.max_bytes}) exceeded "
                                   f"({request.content_length} bytes read)", "server_error")
        upload = request.files.get("file")
        if upload is None:
            raise SpeechError(400, "you must provide a file", param="file")
        model = request.form.get("model", "")
        if not model:
            raise SpeechError(400, "you must provide a model parameter", param="model")
        if model not in TRANSCRIPTION_MODELS:
            raise SpeechError(404, f"The model `{model}` does not exist or you do not have access to it.",
                              code="model_not_found")
        fmt = request.form.get("response_format") or "json"
        if fmt not in ("json", "text", "verbose_json"):
            raise SpeechError(400, f"'{fmt}' is not one of ['json', 'text', 'verbose_json'] - 'response_format'",
                              param="response_format")
        if fmt == "verbose_json" and model in TEXT_ONLY_MODELS:
            raise SpeechError(400, f"response_format 'verbose_json' is not compatible with model '{model}'. "
                                   "Use 'json' or 'text' instead.", param="response_format",
                              code="unsupported_value")
        audio = upload.read()
        if len(audio) > self.max_bytes:
            raise SpeechError(413, f"Maximum content size limit ({self.max_bytes}) exceeded", "server_error")
        if audio_duration(audio) < 0.1:
            raise SpeechError(400, "Audio file is too short. Minimum audio length is 0.1 seconds.",
                              param="file", code="audio_too_short")
        answer = transcript_of(audio, request.form.get("language"))
        with self._lock:
            self._transcribed.append(hashlib.sha256(audio).hexdigest())
        if fmt == "text":
            return answer["text"]
        return answer if fmt == "verbose_json" else {"text": answer["text"]}

    def _chat(self, request):
        body = request.get_json(force=True, silent=True)
        if not isinstance(body, dict):
            raise SpeechError(400, "We could not parse the JSON body of your request.")
        model = body.get("model")
        if not model:
            raise SpeechError(400, "you must provide a model parameter", param="model")
        if model not in CHAT_MODELS:
            raise SpeechError(404, f"The model `{model}` does not exist or you do not have access to it.",
                              code="model_not_found")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise SpeechError(400, "Invalid 'messages': expected a non-empty array of objects.", param="messages")
        system = " ".join(str(m.get("content", "")) for m in messages if m.get("role") in ("system", "developer"))
        user = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
        summary = summary_of(user, system)
        with self._lock:
            self._summarized += 1
        digest = hashlib.sha256(user.encode()).hexdigest()[:24]
        return {"id": f"chatcmpl-{digest}", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": summary},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": len(user) // 4, "completion_tokens": len(summary) // 4,
                          "total_tokens": (len(user) + len(summary)) // 4}}

    def _models(self, request):
        return {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "sandbox"}
                                           for m in TRANSCRIPTION_MODELS + CHAT_MODELS]}

    def _control(self, request, action):
        actions = {"stats": ("GET", lambda b: self.stats()), "reset_stats": ("POST", lambda b: self.reset_stats()),
                   "inject": ("POST", lambda b: self.inject(**b)),
                   "clear_faults": ("POST", lambda b: self.clear_faults()),
                   "set_key": ("POST", lambda b: self.set_key(b.get("key", DEFAULT_KEY))),
                   "set_latency": ("POST", lambda b: self.set_latency(b.get("seconds", 0.0)))}
        if action not in actions:
            return _control_answer({"ok": False, "error": f"unknown control action {action!r}"}, 404)
        method, handler = actions[action]
        if request.method != method:
            return _control_answer({"ok": False, "error": "method not allowed"}, 405)
        body = request.get_json(force=True, silent=True) if request.data else {}
        if not isinstance(body, dict):
            return _control_answer({"ok": False, "error": "expected a JSON object"}, 400)
        try:
            result = handler(body)
        except (TypeError, ValueError) as exc:
            return _control_answer({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, 400)
        return _control_answer(dict(result or {}, ok=True))


def _error(exc):
    if exc.status in (500, 502, 503) and not exc.message:  # the front proxy's page, as a real one answers
        title = {500: "500 Internal Server Error", 502: "502 Bad Gateway", 503: "503 Service Temporarily Unavailable"}
        body = f"<html><head><title>{title[exc.status]}</title></head><body><h1>{title[exc.status]}</h1></body></html>"
        return Response(body, exc.status, content_type="text/html")
    payload = {"error": {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}}
    return Response(json.dumps(payload, ensure_ascii=False), exc.status, content_type=JSON_TYPE, headers=exc.headers)


def _control_answer(payload, status=200):
    return Response(json.dumps(payload, ensure_ascii=False), status, content_type=JSON_TYPE)
