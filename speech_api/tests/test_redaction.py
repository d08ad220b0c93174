"""The key never reaches log lines, error texts or reprs."""
from __future__ import annotations

import logging
import traceback

import pytest
import requests
import responses
from speech_helpers import BASE, KEY

from speech_api import SpeechClient, SpeechError, SpeechTransientError, redact
from speech_api.redact import RedactingFilter


@pytest.mark.parametrize('text', [
    f"{{'Authorization': 'Bearer {KEY}', 'User-Agent': 'x'}}",
    f'"authorization": "Bearer {KEY}"',
    f'Authorization: Bearer {KEY}',
    f'https://gw.test/v1/audio/transcriptions?api_key={KEY}&x=1',
    f'https://gw.test/v1?key={KEY}',
    f'https://user:{KEY}@gw.test/v1',
    f'Incorrect API key provided: {KEY}.',
    f"{{'api-key': '{KEY}'}}",
])
def test_redact_masks_the_key(text):
    out = redact(text)
    assert KEY not in out and '***' in out


def test_redact_keeps_the_rest():
    line = 'POST /v1/audio/transcriptions HTTP/1.1" 200 512'
    assert redact(line) == line
    assert redact('model=whisper-1&language=ru&monkey=1') == 'model=whisper-1&language=ru&monkey=1'
    assert redact('the key is abcdef123', secrets=['abcdef123', None, 'ab']) == 'the key is ***'


def test_filter_rewrites_records():
    record = logging.LogRecord('urllib3.connectionpool', logging.DEBUG, __file__, 1, '%s "%s %s"',
                               ('http://gw', 'POST', f'/v1/audio/transcriptions?key={KEY}'), None)
    assert RedactingFilter().filter(record) is True
    assert KEY not in record.getMessage() and 'key=***' in record.getMessage()
    assert any(isinstance(f, RedactingFilter) for f in logging.getLogger('urllib3.connectionpool').filters)


def test_repr_and_errors_hide_the_key():
    client = SpeechClient(f'https://gw.test/v1?key={KEY}', KEY)
    assert KEY not in repr(client)
    with pytest.raises(SpeechError) as caught:
        SpeechClient(f'gw.test/v1?key={KEY}', KEY)
    assert KEY not in str(caught.value)


def test_an_echoed_key_is_masked_in_messages_and_tracebacks():
    with responses.RequestsMock() as rsps, SpeechClient(BASE, KEY) as client:
        rsps.post(f'{BASE}/audio/transcriptions', status=500,
                  json={'error': {'message': f'upstream said: bad header Bearer {KEY} ({KEY})'}})
        rsps.post(f'{BASE}/audio/transcriptions', body=requests.ConnectionError(
            f"HTTPSConnectionPool(host='gw', port=443): Max retries exceeded with url: /v1?key={KEY}"))
        for _ in range(2):
            with pytest.raises(SpeechTransientError) as caught:
                client.transcribe(b'abc')
            shown = ''.join(traceback.format_exception(caught.value)) + repr(caught.value) + (caught.value.detail or '')
            assert KEY not in shown
