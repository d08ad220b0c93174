"""Client of an OpenAI-compatible speech service: transcriptions and chat-completion summaries.

OpenAI's API, the Russian providers that copy it and self-hosted Whisper servers (faster-whisper
servers, LocalAI, vLLM…) answer the same two calls::

    POST {base}/audio/transcriptions   multipart: file, model, language, response_format=verbose_json
    POST {base}/chat/completions       JSON: model, messages
    Authorization: Bearer <key>

Every request goes through :meth:`SpeechClient._request`: one timeout, the key in the header only,
redacted texts, and the answer classified into the typed errors of :mod:`.errors`.

The client sends a request again only when the server did not process it: after a 429, when the
server says it will be ready within ``rate_limit_wait`` seconds, and once as plain ``json`` after a
400 naming ``response_format`` (models that give no segments); neither can bill or transcribe
twice.  A 5xx or a timeout may have been processed (and billed); the client does not resend it and
leaves the back-off to its caller (the next run of a scheduled job, for example).
"""
from __future__ import annotations

import email.utils
import io
import json
import logging
import math
import mimetypes
import struct
import time
import wave
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from .errors import (
    SpeechAudioError,
    SpeechError,
    SpeechRateLimitError,
    SpeechRefusedError,
    SpeechTransientError,
)
from .redact import install_log_filters, redact

USER_AGENT = 'teleum_telephony-odoo/18.0 speech (+requests)'
DEFAULT_MODEL = 'whisper-1'
#: OpenAI's upload limit; self-hosted servers may take more (pass ``max_upload_bytes=None``)
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
#: characters of transcript sent for a summary (a long call still fits a small model's context)
MAX_SUMMARY_INPUT = 50_000
SUMMARY_INSTRUCTIONS = (
    'You summarise a recorded business phone call for the salesperson who owns the customer. '
    'Write in {language}, at most four short lines, no preamble: what the customer wanted, '
    'what was agreed, and the next step (who does what, when). '
    'If the transcript holds no conversation, say so in one line.')

_logger = logging.getLogger('speech_api')
install_log_filters()


@dataclass(frozen=True)
class Segment:
    """A stretch of the recording, in seconds from its start, with what was said."""

    start: float
    end: float
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {'start': round(self.start, 2), 'end': round(self.end, 2), 'text': self.text}


@dataclass(frozen=True)
class Transcript:
    text: str
    segments: tuple[Segment, ...] = ()
    #: as the service names it ("russian", "ru"), if it said
    language: str | None = None
    #: seconds of audio, if the service said
    duration: float | None = None


def _split_base_url(url: str | None) -> tuple[str, str]:
    """(base without a trailing slash, its query string): some gateways want e.g. ``?key=…``
    on every request, which then goes after each endpoint's path."""
    parts = urlsplit((url or '').strip())
    if parts.scheme not in ('http', 'https') or not parts.netloc:
        raise SpeechError(f'The speech service URL must start with http:// or https:// ({redact(url or "")!r}).',
                          code='config')
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip('/'), '', '')), parts.query


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (OpenAI's) or ``Retry-After`` (seconds or an HTTP
    date); None when absent or unreadable."""
    value = (headers.get('retry-after-ms') or '').strip()
    if value:
        try:
            seconds = float(value) / 1000
        except ValueError:
            seconds = math.nan
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    value = (headers.get('Retry-After') or '').strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
        return max(0.0, seconds)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _error_text(payload: Any) -> str:
    """The provider's own message in the shapes the compatible servers use: OpenAI's
    ``{"error": {"message"}}``, ``{"error": "…"}``, FastAPI's ``{"detail": "…" | [{"msg"}]}``,
    ``{"message": "…"}``."""
    if not isinstance(payload, Mapping):
        return ''
    error = payload.get('error')
    if isinstance(error, Mapping):
        error = error.get('message') or error.get('code') or ''
    detail = payload.get('detail')
    if isinstance(detail, list):
        detail = '; '.join(str(d.get('msg', d)) if isinstance(d, Mapping) else str(d) for d in detail)
    for text in (error, detail, payload.get('message')):
        if isinstance(text, str) and text.strip():
            return ' '.join(text.split())
    return ''


def _error_code(payload: Any) -> str:
    error = payload.get('error') if isinstance(payload, Mapping) else None
    if isinstance(error, Mapping):
        return str(error.get('code') or error.get('type') or '')
    return ''


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_transcript(payload: Mapping[str, Any]) -> Transcript:
    """A verbose_json (or json) answer; segments without readable times or text are left out."""
    text = payload.get('text')
    if not isinstance(text, str):
        raise ValueError('no "text" in the answer')
    duration = _float(payload.get('duration'))
    segments = []
    for raw in payload.get('segments') or ():
        if not isinstance(raw, Mapping) or not isinstance(raw.get('text'), str):
            continue
        start, end = _float(raw.get('start')), _float(raw.get('end'))
        words = ' '.join(raw['text'].split())
        if start is None or not words:
            continue
        start = max(0.0, start)
        segments.append(Segment(start, max(start, end if end is not None else start), words))
    segments.sort(key=lambda s: s.start)
    language = payload.get('language')
    return Transcript(' '.join(text.split()), tuple(segments),
                      language if isinstance(language, str) and language else None, duration)


def sample_wav(seconds: float = 1.0, rate: int = 16000, tone: float = 440.0) -> bytes:
    """A short mono 16-bit WAV (a quiet tone), e.g. to test a connection without a recording."""
    frames = int(seconds * rate)
    samples = (int(3000 * math.sin(2 * math.pi * tone * i / rate)) for i in range(frames))
    buf = io.BytesIO()
    with wave.open(buf, 'wb') as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack(f'<{frames}h', *samples))
    return buf.getvalue()


class SpeechClient:
    """One service (base URL + key).

    ``timeout`` is requests' ``(connect, read)`` seconds for every request (a transcription of a
    long call takes a while: the read timeout is generous).  ``rate_limit_wait``: the longest
    Retry-After of a 429 that is waited for here, at most ``rate_limit_retries`` times per call;
    a longer or unstated one is raised as :class:`SpeechRateLimitError` at once.
    """

    def __init__(self, base_url: str, api_key: str | None = None, *,
                 timeout: float | tuple[float, float] = (5, 120), rate_limit_wait: float = 5.0,
                 rate_limit_retries: int = 2, max_upload_bytes: int | None = MAX_UPLOAD_BYTES,
                 session: requests.Session | None = None, user_agent: str | None = None) -> None:
        self.base_url, self._query = _split_base_url(base_url)
        self._key = (api_key or '').strip()
        self.timeout = timeout
        self.rate_limit_wait = max(0.0, float(rate_limit_wait))
        self.rate_limit_retries = max(0, int(rate_limit_retries))
        self.max_upload_bytes = max_upload_bytes
        self._own_session = session is None
        self.session = session if session is not None else requests.Session()
        self.user_agent = user_agent or USER_AGENT
        #: requests sent, by endpoint (resends after a 429 included)
        self.stats: Counter[str] = Counter()
        self._sleep: Callable[[float], None] = time.sleep  # replaceable in tests

    def __repr__(self) -> str:
        return f'<{type(self).__name__} {self._scrub(self.base_url)!r}>'

    def __enter__(self) -> SpeechClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def _scrub(self, text: Any) -> str:
        return redact(text, (self._key,))

    # ----------------------------------------------------------------- the two calls

    def transcribe(self, audio: bytes, filename: str = 'call.mp3', *, model: str = DEFAULT_MODEL,
                   language: str | None = None, prompt: str | None = None) -> Transcript:
        """Text and timed segments of ``audio`` (``language``: ISO 639-1, e.g. ``'ru'``)."""
        if not audio:
            raise SpeechAudioError('The recording is empty.')
        if self.max_upload_bytes and len(audio) > self.max_upload_bytes:
            raise SpeechAudioError(f'The recording is {len(audio) / 2**20:.1f} MB; the service takes at most '
                                   f'{self.max_upload_bytes / 2**20:.0f} MB.')
        data = {'model': model or DEFAULT_MODEL, 'response_format': 'verbose_json'}
        if language:
            data['language'] = language
        if prompt:
            data['prompt'] = prompt
        files = {'file': (filename, audio, mimetypes.guess_type(filename)[0] or 'application/octet-stream')}
        try:
            answer = self._request('audio/transcriptions', data=data, files=files)
        except SpeechRefusedError as exc:
            # OpenAI's gpt-4o(-mini)-transcribe take json or text only: a 400 naming the format
            # was not processed, so the plain text (without segments) is asked for instead
            if exc.status != 400 or 'response_format' not in exc.message:
                raise
            answer = self._request('audio/transcriptions', data={**data, 'response_format': 'json'}, files=files)
        if isinstance(answer, str):  # a server that ignores response_format and answers text/plain
            return Transcript(' '.join(answer.split()))
        try:
            return parse_transcript(answer)
        except ValueError as exc:
            raise SpeechTransientError(f'The speech service answered without a transcript ({exc}).',
                                       status=200) from None

    def summarize(self, transcript: str, *, model: str, language: str = 'Russian',
                  instructions: str | None = None) -> str:
        """A short summary of ``transcript`` written by the chat model ``model``.

        No ``temperature`` nor ``max_tokens`` is sent: reasoning models refuse any but their own.
        """
        system = instructions or SUMMARY_INSTRUCTIONS.format(language=language)
        answer = self._request('chat/completions', json_body={
            'model': model,
            'messages': [{'role': 'system', 'content': system},
                         {'role': 'user', 'content': transcript[:MAX_SUMMARY_INPUT]}],
        })
        try:
            content = answer['choices'][0]['message']['content']
            if isinstance(content, list):  # content parts
                content = ''.join(p.get('text', '') for p in content if isinstance(p, Mapping))
            if not isinstance(content, str):
                raise TypeError(type(content).__name__)
        except (KeyError, IndexError, TypeError) as exc:
            raise SpeechTransientError(f'The speech service answered without a summary ({exc!r}).',
                                       status=200) from None
        return content.strip()

    # ----------------------------------------------------------------- transport

    def _request(self, path: str, *, data: Mapping[str, str] | None = None, files: Mapping | None = None,
                 json_body: Mapping[str, Any] | None = None) -> Any:
        """POST ``{base}/{path}``: the decoded JSON answer (or the text of a text/plain one),
        after the short 429 waits; otherwise a typed :class:`SpeechError`."""
        url = f'{self.base_url}/{path}' + (f'?{self._query}' if self._query else '')
        for attempt in range(self.rate_limit_retries + 1):
            try:
                return self._exchange(url, path, data, files, json_body)
            except SpeechRateLimitError as exc:
                wait = exc.retry_after
                if wait is None or wait > self.rate_limit_wait or attempt >= self.rate_limit_retries:
                    raise
                _logger.info('speech %s: rate limited, sending again in %.1fs (%d/%d)', path, wait,
                             attempt + 1, self.rate_limit_retries)
                self._sleep(wait)
        raise AssertionError('unreachable')  # pragma: no cover

    def _exchange(self, url: str, label: str, data, files, json_body) -> Any:
        self.stats[label] += 1
        headers = {'User-Agent': self.user_agent, 'Accept': 'application/json'}
        if self._key:
            headers['Authorization'] = f'Bearer {self._key}'
        size = sum(len(f[1]) for f in (files or {}).values())
        _logger.debug('speech %s: POST %s%s', label, self._scrub(url), f' ({size} bytes)' if size else '')
        started = time.monotonic()
        error: SpeechError
        # requests' exception texts hold the URL: never chained nor quoted raw (see errors.py);
        # the new error is raised outside the except block so that it has no __context__ either
        try:
            resp = self.session.post(url, data=data, files=files, json=json_body, headers=headers,
                                     timeout=self.timeout)
        except requests.Timeout as exc:
            error = SpeechTransientError('The speech service did not answer in time.',
                                         detail=self._scrub(f'{type(exc).__name__}: {exc}'))
        except requests.ConnectionError as exc:
            error = SpeechTransientError('Cannot connect to the speech service.',
                                         detail=self._scrub(f'{type(exc).__name__}: {exc}'))
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                requests.exceptions.InvalidSchema, requests.exceptions.InvalidHeader) as exc:
            error = SpeechError('Invalid speech service URL or key.', code='config',
                                detail=self._scrub(f'{type(exc).__name__}: {exc}'))
        except requests.RequestException as exc:
            error = SpeechTransientError('The request to the speech service failed.',
                                         detail=self._scrub(f'{type(exc).__name__}: {exc}'))
        else:
            try:
                text = resp.content.decode('utf-8', 'replace')
            except requests.RequestException as exc:  # the body broke off
                error = SpeechTransientError('The answer of the speech service broke off.',
                                             detail=self._scrub(f'{type(exc).__name__}: {exc}'))
            else:
                _logger.debug('speech %s: HTTP %s in %.0f ms', label, resp.status_code,
                              (time.monotonic() - started) * 1000)
                return self._decode(resp, text)
            finally:
                resp.close()
        raise error

    def _decode(self, resp: requests.Response, text: str) -> Any:
        status = resp.status_code
        ctype = resp.headers.get('Content-Type', '').lower()
        try:
            payload = json.loads(text) if text.strip() else None
        except ValueError:
            payload = None
        message = self._scrub(_error_text(payload) or (text.strip()[:300] if status >= 400
                                                       and not text.lstrip().startswith('<') else ''))
        detail = self._scrub(text[:300])
        if status == 429:
            if _error_code(payload) == 'insufficient_quota':  # OpenAI: the account has no credit left
                raise SpeechRefusedError(message or 'The speech service account has no quota left.',
                                         status=status, detail=detail)
            raise SpeechRateLimitError(message or 'The speech service is rate limiting the requests.',
                                       status=status, retry_after=parse_retry_after(resp.headers), detail=detail)
        if status in (408, 409, 425) or status >= 500:
            raise SpeechTransientError(f'The speech service answered HTTP {status}.'
                                       + (f' {message}' if message else ''), status=status, detail=detail)
        if status in (401, 403):
            raise SpeechRefusedError(message or f'The speech service refused the key (HTTP {status}).',
                                     status=status, code='auth', detail=detail)
        if status in (413, 415):
            raise SpeechAudioError(message or f'The speech service refused the file (HTTP {status}).',
                                   status=status, detail=detail)
        if status >= 400:
            raise SpeechRefusedError(message or f'The speech service refused the request (HTTP {status}).',
                                     status=status, detail=detail)
        if isinstance(payload, Mapping):
            return payload
        if payload is None and ctype.startswith('text/plain') and text.strip():
            return text
        if text.lstrip().startswith(('{', '[')):  # cut short on the way
            raise SpeechTransientError('The speech service sent a truncated answer.', status=status, detail=detail)
        # 200 with an HTML page or the like: the URL points at something else than the API
        raise SpeechRefusedError('The address does not answer like an OpenAI-compatible API (check the URL, '
                                 'which usually ends in /v1).', status=status, detail=detail)
