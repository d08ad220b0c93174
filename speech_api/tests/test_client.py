"""SpeechClient over a scripted endpoint (`responses`): what is sent, what is read back, and how
each kind of answer is classified (refusal, rate limit, transient, file refused)."""
from __future__ import annotations

import json
import wave
from datetime import datetime, timezone
from email.utils import format_datetime
from io import BytesIO

import pytest
import requests
import responses
from responses import matchers
from speech_helpers import BASE, KEY

from speech_api import (
    Segment,
    SpeechAudioError,
    SpeechClient,
    SpeechError,
    SpeechRateLimitError,
    SpeechRefusedError,
    SpeechTransientError,
    parse_retry_after,
    sample_wav,
)

TRANSCRIPTIONS = f'{BASE}/audio/transcriptions'
CHAT = f'{BASE}/chat/completions'
VERBOSE = {
    'task': 'transcribe', 'language': 'russian', 'duration': 8.5, 'text': ' Алло.  Добрый день, это склад? ',
    'segments': [
        {'id': 1, 'start': 1.5, 'end': 8.5, 'text': ' Добрый день,   это склад? '},
        {'id': 0, 'start': 0.0, 'end': 1.5, 'text': ' Алло.'},
        {'id': 2, 'start': 'soon', 'end': 9, 'text': 'no time'},
        {'id': 3, 'start': 8.5, 'end': 8.5, 'text': '   '},
        'garbage',
    ],
}


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def client():
    c = SpeechClient(BASE + '/', KEY, rate_limit_wait=5, rate_limit_retries=2)
    c.sleeps = []
    c._sleep = c.sleeps.append  # record the waits instead of waiting
    yield c
    c.close()


def _error(status, message, code=None, headers=None):
    return responses.Response(responses.POST, TRANSCRIPTIONS, status=status, headers=headers or {},
                              json={'error': {'message': message, 'type': 'invalid_request_error', 'param': None,
                                              'code': code}})


# --------------------------------------------------------------------------- what is sent and read

def test_transcribe_sends_the_file_and_reads_timed_segments(rsps, client):
    rsps.post(TRANSCRIPTIONS, json=VERBOSE, match=[matchers.header_matcher({'Authorization': f'Bearer {KEY}'})])
    audio = b'ID3' + bytes(range(256)) * 4
    result = client.transcribe(audio, 'call-17.mp3', model='whisper-1', language='ru', prompt='Teleum, АТС')
    assert result.text == 'Алло. Добрый день, это склад?'
    assert result.segments == (Segment(0.0, 1.5, 'Алло.'), Segment(1.5, 8.5, 'Добрый день, это склад?'))
    assert (result.language, result.duration) == ('russian', 8.5)
    sent = rsps.calls[0].request
    body = sent.body
    assert b'name="file"; filename="call-17.mp3"' in body and audio in body and b'Content-Type: audio/mpeg' in body
    for name, value in (('model', 'whisper-1'), ('language', 'ru'), ('response_format', 'verbose_json'),
                        ('prompt', 'Teleum, АТС')):
        assert f'name="{name}"\r\n\r\n{value}\r\n'.encode() in body
    assert sent.url == TRANSCRIPTIONS and client.stats == {'audio/transcriptions': 1}
    assert result.segments[0].as_dict() == {'start': 0.0, 'end': 1.5, 'text': 'Алло.'}


def test_a_plain_text_answer_and_no_language(rsps, client):
    rsps.post(TRANSCRIPTIONS, body='  just the text \n', content_type='text/plain; charset=utf-8')
    result = client.transcribe(sample_wav(0.2), 'test.wav')
    assert (result.text, result.segments, result.language) == ('just the text', (), None)
    assert b'name="language"' not in rsps.calls[0].request.body
    assert b'Content-Type: audio/x-wav' in rsps.calls[0].request.body or \
        b'Content-Type: audio/wav' in rsps.calls[0].request.body


def test_a_model_that_gives_no_segments_is_asked_for_json(rsps, client):
    """gpt-4o-mini-transcribe refuses verbose_json with a 400 naming response_format."""
    rsps.add(_error(400, "response_format 'verbose_json' is not compatible with model 'gpt-4o-mini-transcribe'. "
                         "Use 'json' or 'text' instead.", 'unsupported_value'))
    rsps.post(TRANSCRIPTIONS, json={'text': 'Алло.'})
    assert client.transcribe(b'x' * 100, model='gpt-4o-mini-transcribe').text == 'Алло.'
    assert b'\r\n\r\njson\r\n' in rsps.calls[1].request.body


def test_summarize(rsps, client):
    rsps.post(CHAT, json={'choices': [{'index': 0, 'message': {'role': 'assistant',
                                                                'content': '  Клиент хочет возврат.\n'}}]})
    summary = client.summarize('Алло. Хочу возврат.', model='gpt-4o-mini', language='Russian')
    assert summary == 'Клиент хочет возврат.'
    sent = json.loads(rsps.calls[0].request.body)
    assert sent['model'] == 'gpt-4o-mini' and set(sent) == {'model', 'messages'}  # no temperature/max_tokens
    system, user = sent['messages']
    assert system['role'] == 'system' and 'Write in Russian' in system['content']
    assert user == {'role': 'user', 'content': 'Алло. Хочу возврат.'}
    assert rsps.calls[0].request.headers['Authorization'] == f'Bearer {KEY}'


def test_summary_content_parts_and_missing_choices(rsps, client):
    rsps.post(CHAT, json={'choices': [{'message': {'content': [{'type': 'text', 'text': 'Итог.'}]}}]})
    rsps.post(CHAT, json={'id': 'x', 'choices': []})
    assert client.summarize('текст', model='m', instructions='Summarise.') == 'Итог.'
    assert json.loads(rsps.calls[0].request.body)['messages'][0]['content'] == 'Summarise.'
    with pytest.raises(SpeechTransientError):
        client.summarize('текст', model='m')


def test_no_key_sends_no_authorization(rsps):
    rsps.post('http://whisper.local:8000/v1/audio/transcriptions', json={'text': 'ok'})
    with SpeechClient('http://whisper.local:8000/v1', '') as local:
        assert local.transcribe(b'abc').text == 'ok'
    assert 'Authorization' not in rsps.calls[0].request.headers


@pytest.mark.parametrize('url', ['', 'whisper.local/v1', 'ftp://h/v1', 'http://'])
def test_bad_base_url(url):
    with pytest.raises(SpeechError) as caught:
        SpeechClient(url, KEY)
    assert caught.value.code == 'config'


def test_the_file_is_checked_before_sending(rsps):
    with SpeechClient(BASE, KEY, max_upload_bytes=1000) as small:
        with pytest.raises(SpeechAudioError) as caught:
            small.transcribe(b'x' * 1001)
        assert 'at most' in caught.value.message
        with pytest.raises(SpeechAudioError):
            small.transcribe(b'')
    assert len(rsps.calls) == 0


# --------------------------------------------------------------------------- 429: short waits only

def test_short_retry_after_is_waited_for(rsps, client):
    for _ in range(2):
        rsps.add(_error(429, 'Rate limit reached for requests.', 'rate_limit_exceeded', {'Retry-After': '2'}))
    rsps.post(TRANSCRIPTIONS, json={'text': 'наконец'})
    assert client.transcribe(b'abc').text == 'наконец'
    assert client.sleeps == [2.0, 2.0] and client.stats['audio/transcriptions'] == 3


def test_rate_limit_outlasting_the_retries(rsps, client):
    for _ in range(3):
        rsps.add(_error(429, 'Rate limit reached.', headers={'Retry-After': '1'}))
    with pytest.raises(SpeechRateLimitError) as caught:
        client.transcribe(b'abc')
    assert caught.value.retry_after == 1 and caught.value.retryable and len(rsps.calls) == 3


@pytest.mark.parametrize('headers,retry_after', [({'Retry-After': '120'}, 120.0), ({}, None),
                                                 ({'Retry-After': 'tomorrow'}, None)])
def test_long_or_unknown_retry_after_is_not_waited_for(rsps, client, headers, retry_after):
    rsps.add(_error(429, 'Rate limit reached.', headers=headers))
    with pytest.raises(SpeechRateLimitError) as caught:
        client.transcribe(b'abc')
    assert caught.value.retry_after == retry_after and client.sleeps == [] and len(rsps.calls) == 1
    assert caught.value.code == 'rate_limit' and caught.value.status == 429


def test_exhausted_quota_is_a_refusal(rsps, client):
    rsps.add(_error(429, 'You exceeded your current quota, please check your plan and billing details.',
                    'insufficient_quota'))
    with pytest.raises(SpeechRefusedError) as caught:
        client.transcribe(b'abc')
    assert caught.value.message.startswith('You exceeded your current quota') and client.sleeps == []


def test_parse_retry_after():
    now = datetime(2024, 5, 15, 12, 0, tzinfo=timezone.utc)
    later = format_datetime(datetime(2024, 5, 15, 12, 0, 30, tzinfo=timezone.utc), usegmt=True)
    assert parse_retry_after({'Retry-After': later}, now) == 30
    assert parse_retry_after({'Retry-After': '1.5'}) == 1.5
    assert parse_retry_after({'Retry-After': '-3'}) is None
    assert parse_retry_after({'retry-after-ms': '250', 'Retry-After': '9'}) == 0.25  # OpenAI's, preferred
    assert parse_retry_after(requests.structures.CaseInsensitiveDict({'retry-after': '4'})) == 4


# --------------------------------------------------------------------------- other failures

@pytest.mark.parametrize('status', [500, 502, 503, 504, 408])
def test_server_errors_are_transient_and_not_resent(rsps, client, status):
    rsps.post(TRANSCRIPTIONS, status=status, body='<html><h1>Bad Gateway</h1></html>', content_type='text/html')
    with pytest.raises(SpeechTransientError) as caught:
        client.transcribe(b'abc')
    assert caught.value.status == status and f'HTTP {status}' in caught.value.message
    assert len(rsps.calls) == 1 and client.sleeps == []


@pytest.mark.parametrize('exc,message', [(requests.ReadTimeout('read timed out'), 'did not answer in time'),
                                         (requests.ConnectionError('refused'), 'Cannot connect'),
                                         (requests.exceptions.ChunkedEncodingError('broken'), 'request')])
def test_network_failures_are_transient(rsps, client, exc, message):
    rsps.post(TRANSCRIPTIONS, body=exc)
    with pytest.raises(SpeechTransientError) as caught:
        client.transcribe(b'abc')
    assert message in caught.value.message and len(rsps.calls) == 1
    assert caught.value.__cause__ is None and caught.value.__context__ is None


@pytest.mark.parametrize('status,payload,message,code', [
    (401, {'error': {'message': 'Incorrect API key provided: sk-proj-****cDf.', 'code': 'invalid_api_key'}},
     'Incorrect API key provided: sk-***', 'auth'),
    (403, {'error': 'Country, region, or territory not supported'}, 'Country, region, or territory not supported',
     'auth'),
    (400, {'detail': [{'loc': ['body', 'language'], 'msg': 'Input should be a valid language'}]},
     'Input should be a valid language', 'refused'),
    (404, {'error': {'message': 'The model `whisper-2` does not exist or you do not have access to it.'}},
     'The model `whisper-2` does not exist', 'refused'),
    (422, {'message': 'Unsupported language: klingon'}, 'Unsupported language: klingon', 'refused'),
    (400, None, 'The speech service refused the request (HTTP 400).', 'refused'),
])
def test_refusals_carry_the_providers_message(rsps, client, status, payload, message, code):
    rsps.post(TRANSCRIPTIONS, status=status, **({'json': payload} if payload is not None else {'body': ''}))
    with pytest.raises(SpeechRefusedError) as caught:
        client.transcribe(b'abc')
    assert caught.value.message.startswith(message) and caught.value.code == code
    assert caught.value.status == status and not caught.value.retryable and len(rsps.calls) == 1


@pytest.mark.parametrize('status', [413, 415])
def test_a_refused_file(rsps, client, status):
    rsps.post(TRANSCRIPTIONS, status=status, json={'error': {'message': 'Maximum content size limit exceeded'}})
    with pytest.raises(SpeechAudioError) as caught:
        client.transcribe(b'abc')
    assert caught.value.code == 'audio' and caught.value.message == 'Maximum content size limit exceeded'


def test_answers_that_are_not_the_api(rsps, client):
    rsps.post(TRANSCRIPTIONS, body='<!doctype html><title>Welcome to nginx</title>', content_type='text/html')
    rsps.post(TRANSCRIPTIONS, body='{"text": "Алло, это', content_type='application/json')
    rsps.post(TRANSCRIPTIONS, json={'task': 'transcribe'})
    with pytest.raises(SpeechRefusedError) as caught:
        client.transcribe(b'abc')
    assert 'OpenAI-compatible' in caught.value.message and '/v1' in caught.value.message
    with pytest.raises(SpeechTransientError, match='truncated'):
        client.transcribe(b'abc')
    with pytest.raises(SpeechTransientError, match='without a transcript'):
        client.transcribe(b'abc')


def test_errors_pickle_with_their_fields():
    import pickle

    exc = pickle.loads(pickle.dumps(SpeechRateLimitError('slow down', status=429, retry_after=3)))
    assert (type(exc), exc.code, exc.status, exc.retry_after, str(exc)) == \
        (SpeechRateLimitError, 'rate_limit', 429, 3, 'slow down')


def test_sample_wav():
    with wave.open(BytesIO(sample_wav(1.0, rate=8000))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()) == (1, 2, 8000, 8000)


def test_package_is_pure():
    """requests and the standard library only, no odoo, relative imports inside the package."""
    import ast
    import sys

    from speech_helpers import ROOT

    for path in (ROOT / 'speech_api').glob('*.py'):
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            assert all(n.split('.')[0] in sys.stdlib_module_names | {'requests', '__future__'} for n in names), \
                (path.name, names)
