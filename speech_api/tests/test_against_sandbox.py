"""The client against the sandbox's speech service (sandbox/speech.py), over real HTTP on 127.0.0.1."""
from __future__ import annotations

import logging

import pytest
from speech_helpers import ROOT  # noqa: F401  (puts the repository root on sys.path)

from speech_api import (
    SpeechClient,
    SpeechRateLimitError,
    SpeechRefusedError,
    SpeechTransientError,
    sample_wav,
)

speech = pytest.importorskip('sandbox.speech')
data = pytest.importorskip('sandbox.data')

KEY = 'sandbox-speech-key-0123456789'


@pytest.fixture
def sb():
    server = speech.SpeechSandbox(key=KEY).start()
    yield server
    server.stop()


def _client(sb, key=KEY, **kwargs):
    return SpeechClient(sb.url, key, **{'timeout': (2, 5), 'rate_limit_wait': 1, **kwargs})


def test_each_recording_gets_the_text_of_its_own_audio(sb):
    first, second = data.recording_bytes('1437124355.232'), data.recording_bytes('1715763600.5')
    with _client(sb) as client:
        one, two = client.transcribe(first, 'a.mp3', language='ru'), client.transcribe(second, 'b.mp3', language='ru')
        expected = speech.transcript_of(first)
        assert one.text == expected['text'] and two.text == speech.transcript_of(second)['text'] != one.text
        assert [(s.start, s.end, s.text) for s in one.segments] == \
            [(s['start'], s['end'], s['text'].strip()) for s in expected['segments']]
        assert one.duration == expected['duration'] and one.language == 'russian'
        summary = client.summarize(one.text, model='gpt-4o-mini', language='Russian')
        assert summary == speech.summary_of(one.text) and summary.startswith('Клиент')
        assert client.summarize(one.text, model='gpt-4o-mini', language='English').startswith('The customer')


def test_two_short_429s_are_waited_for(sb):
    sb.inject('rate_limit', 'transcriptions', count=2, retry_after=0)
    with _client(sb) as client:
        assert client.transcribe(sample_wav(1)).text
    assert sb.stats()['requests']['transcriptions'] == 3 and len(sb.stats()['transcribed']) == 1


def test_a_long_retry_after_is_left_to_the_caller(sb):
    sb.inject('rate_limit', count=1, retry_after=30)
    with _client(sb) as client, pytest.raises(SpeechRateLimitError) as caught:
        client.transcribe(sample_wav(1))
    assert caught.value.retry_after == 30 and sb.stats()['requests']['transcriptions'] == 1


def test_wrong_key_and_unknown_model_are_refusals(sb):
    with _client(sb, key='sk-wrong-0123456789') as client, pytest.raises(SpeechRefusedError) as caught:
        client.transcribe(sample_wav(1))
    assert caught.value.code == 'auth' and caught.value.message.startswith('Incorrect API key provided')
    with _client(sb) as client, pytest.raises(SpeechRefusedError) as caught:
        client.summarize('текст', model='gpt-9')
    assert caught.value.status == 404 and 'The model `gpt-9` does not exist' in caught.value.message
    with _client(sb) as client, pytest.raises(SpeechRefusedError, match='too short'):
        client.transcribe(b'\x00' * 100)


def test_gpt4o_transcribe_falls_back_to_json(sb):
    with _client(sb) as client:
        result = client.transcribe(sample_wav(1), model='gpt-4o-mini-transcribe')
    assert result.text and result.segments == ()
    assert sb.stats()['requests']['transcriptions'] == 2 and len(sb.stats()['transcribed']) == 1


@pytest.mark.parametrize('kind', ['error500', 'error503', 'slow', 'drop'])
def test_transient_failures_are_not_resent(sb, kind):
    sb.inject(kind, seconds=3)
    with _client(sb, timeout=(2, 0.5)) as client, pytest.raises(SpeechTransientError):
        client.transcribe(sample_wav(1))
    assert sb.stats()['requests']['transcriptions'] == 1


def test_the_key_is_in_no_log_line_at_debug(sb, caplog):
    caplog.set_level(logging.DEBUG)
    sb.inject('rate_limit', count=1, retry_after=0)
    sb.inject('error500', 'chat')
    with SpeechClient(f'{sb.url}?key={KEY}', KEY, timeout=(2, 5)) as client:
        client.transcribe(sample_wav(1))
        with pytest.raises(SpeechTransientError):
            client.summarize('текст', model='gpt-4o-mini')
    with SpeechClient(sb.url, f'{KEY}-wrong', timeout=(2, 5)) as wrong, pytest.raises(SpeechRefusedError) as caught:
        wrong.transcribe(sample_wav(1))
    logging.getLogger('speech_api').warning('refused: %s (%s)', caught.value, caught.value.detail)
    lines = [r.getMessage() for r in caplog.records]
    assert any('POST /v1/audio/transcriptions?key=***' in line for line in lines)  # urllib3's own line, masked
    assert any(r.name == 'speech_api' and r.levelno == logging.DEBUG for r in caplog.records)
    assert not [line for line in lines if KEY in line]
