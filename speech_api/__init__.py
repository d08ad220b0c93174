"""Pure-Python client of an OpenAI-compatible speech service (no Odoo imports).

Importable as ``speech_api`` (repository root on sys.path) and, inside Odoo, as
``odoo.addons.teleum_telephony.speech_api``; hence relative imports only.

    with SpeechClient('http://127.0.0.1:8070/speech/v1', 'key') as client:
        transcript = client.transcribe(mp3_bytes, 'call.mp3', language='ru')
        summary = client.summarize(transcript.text, model='gpt-4o-mini')
"""
from .client import (
    DEFAULT_MODEL,
    MAX_UPLOAD_BYTES,
    SUMMARY_INSTRUCTIONS,
    USER_AGENT,
    Segment,
    SpeechClient,
    Transcript,
    parse_retry_after,
    parse_transcript,
    sample_wav,
)
from .errors import (
    SpeechAudioError,
    SpeechError,
    SpeechRateLimitError,
    SpeechRefusedError,
    SpeechTransientError,
)
from .redact import redact

__all__ = [
    'DEFAULT_MODEL', 'MAX_UPLOAD_BYTES', 'SUMMARY_INSTRUCTIONS', 'USER_AGENT', 'Segment', 'SpeechAudioError',
    'SpeechClient', 'SpeechError', 'SpeechRateLimitError', 'SpeechRefusedError', 'SpeechTransientError',
    'Transcript', 'parse_retry_after', 'parse_transcript', 'redact', 'sample_wav',
]
