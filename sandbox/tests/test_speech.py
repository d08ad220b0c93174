"""The sandbox's OpenAI-compatible speech service, over real HTTP (bare requests, no client)."""

import hashlib
import io
import itertools
import re
import signal
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import test_sandbox  # noqa: E402,F401  (its Package.setup patch: the repository root imports odoo)

from sandbox import SpeechSandbox, TeleumSandbox  # noqa: E402
from sandbox.data import recording_bytes  # noqa: E402
from sandbox.speech import DEFAULT_KEY, summary_of, transcript_of  # noqa: E402

AUTH = {"Authorization": f"Bearer {DEFAULT_KEY}"}


def wav(seconds, rate=8000):
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buf.getvalue()


@pytest.fixture
def speech():
    with SpeechSandbox() as server:
        yield server


def transcribe(url, audio, headers=AUTH, timeout=10, **form):
    data = {"model": "whisper-1", "response_format": "verbose_json", **form}
    return requests.post(f"{url}/audio/transcriptions", data=data, files={"file": ("call.mp3", audio)},
                         headers=headers, timeout=timeout)


def chat(url, text, model="gpt-4o-mini", system="Write in Russian.", headers=AUTH, timeout=10):
    body = {"model": model, "messages": [{"role": "system", "content": system}, {"role": "user", "content": text}]}
    return requests.post(f"{url}/chat/completions", json=body, headers=headers, timeout=timeout)


class TestTranscriptions:
    def test_text_is_a_function_of_the_audio(self, speech):
        first, second = recording_bytes("1437124355.232"), recording_bytes("1437124355.233")
        one, again, other = (transcribe(speech.url, a).json() for a in (first, first, second))
        assert one == again and one["text"] != other["text"]
        assert one == transcript_of(first)
        assert one["language"] == "russian" and "Здравствуйте" in one["text"]
        assert speech.stats()["transcribed"] == [hashlib.sha256(a).hexdigest() for a in (first, first, second)]

    def test_segments_share_out_the_audio(self, speech):
        answer = transcribe(speech.url, wav(12.5)).json()
        assert answer["duration"] == 12.5
        segments = answer["segments"]
        assert len(segments) == 6 and segments[0]["start"] == 0 and segments[-1]["end"] == 12.5
        assert all(a["end"] == b["start"] and a["start"] < a["end"] for a, b in itertools.pairwise(segments))
        assert " ".join(s["text"].strip() for s in segments) == answer["text"]

    def test_formats_and_languages(self, speech):
        audio = wav(2)
        assert transcribe(speech.url, audio, response_format="json").json() == {"text": transcript_of(audio)["text"]}
        plain = transcribe(speech.url, audio, response_format="text")
        assert plain.headers["Content-Type"].startswith("text/plain") and plain.text == transcript_of(audio)["text"]
        english = transcribe(speech.url, audio, language="en").json()
        assert english["language"] == "english" and english["text"].startswith("Hello, Alpha Service")
        # the same call in the other language: the same order number
        assert re.findall(r"\d{5}", english["text"]) == re.findall(r"\d{5}", transcript_of(audio)["text"])

    @pytest.mark.parametrize("form,audio,status,message", [
        ({"model": "whisper-2"}, None, 404, "The model `whisper-2` does not exist"),
        ({"model": "gpt-4o-mini-transcribe"}, None, 400, "response_format 'verbose_json' is not compatible"),
        ({"response_format": "srt"}, None, 400, "'srt' is not one of"),
        ({}, b"\x00" * 100, 400, "Audio file is too short"),
        ({"model": ""}, None, 400, "you must provide a model parameter"),
    ])
    def test_refusals_look_like_openai(self, speech, form, audio, status, message):
        response = transcribe(speech.url, audio if audio is not None else wav(1), **form)
        assert response.status_code == status
        error = response.json()["error"]
        assert error["message"].startswith(message) and set(error) == {"message", "type", "param", "code"}

    def test_file_over_the_limit(self):
        with SpeechSandbox(max_bytes=50_000) as speech:
            response = transcribe(speech.url, wav(5))  # 80 KB
            assert response.status_code == 413 and "Maximum content size limit" in response.json()["error"]["message"]
            assert speech.stats()["transcribed"] == []

    def test_gpt4o_transcribe_in_json(self, speech):
        response = transcribe(speech.url, wav(1), model="gpt-4o-transcribe", response_format="json")
        assert response.status_code == 200 and response.json()["text"]


class TestKey:
    def test_missing_and_wrong_key(self, speech):
        missing = transcribe(speech.url, wav(1), headers={})
        assert missing.status_code == 401 and "didn't provide an API key" in missing.json()["error"]["message"]
        wrong = transcribe(speech.url, wav(1), headers={"Authorization": "Bearer sk-wrong-key-123456"})
        error = wrong.json()["error"]
        assert wrong.status_code == 401 and error["code"] == "invalid_api_key"
        # half-masked, as OpenAI echoes it
        assert error["message"].startswith("Incorrect API key provided: sk-") and "wrong-key" not in error["message"]
        assert chat(speech.url, "x", headers={}).status_code == 401
        assert speech.stats()["transcribed"] == [] and speech.stats()["summarized"] == 0

    def test_set_key_and_no_key(self, speech):
        speech.set_key("new-key-000000")
        assert transcribe(speech.url, wav(1)).status_code == 401
        assert transcribe(speech.url, wav(1), headers={"Authorization": "Bearer new-key-000000"}).status_code == 200
        speech.set_key(None)  # a self-hosted server that asks for none
        assert transcribe(speech.url, wav(1), headers={}).status_code == 200


class TestSummaries:
    def test_summary_of_a_transcript(self, speech):
        text = transcript_of(recording_bytes("1437124355.232"))["text"]
        answer = chat(speech.url, text).json()
        summary = answer["choices"][0]["message"]["content"]
        assert summary == summary_of(text) and len(summary.splitlines()) == 3
        assert "94180" in summary  # the order number of this audio
        assert answer["object"] == "chat.completion" and answer["choices"][0]["finish_reason"] == "stop"
        english = chat(speech.url, text, system="Write in English, at most four lines.").json()
        assert english["choices"][0]["message"]["content"].startswith("The customer wants two more lines")
        assert speech.stats()["summarized"] == 2

    def test_text_it_does_not_recognise(self, speech):
        summary = chat(speech.url, "Алло, это склад? Да, склад.").json()["choices"][0]["message"]["content"]
        assert summary == "Краткое содержание: Алло, это склад? Да, склад."
        assert chat(speech.url, "   ").json()["choices"][0]["message"]["content"] == "В записи нет разговора."

    def test_refusals(self, speech):
        assert chat(speech.url, "x", model="gpt-9").status_code == 404
        bad = requests.post(f"{speech.url}/chat/completions", json={"model": "gpt-4o-mini", "messages": []},
                            headers=AUTH, timeout=10)
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "messages"


class TestFaults:
    def test_rate_limit_with_retry_after_then_answers(self, speech):
        speech.inject("rate_limit", "transcriptions", count=2, retry_after=7)
        first, second = transcribe(speech.url, wav(1)), transcribe(speech.url, wav(1))
        assert (first.status_code, second.status_code) == (429, 429)
        assert first.headers["Retry-After"] == "7" and first.json()["error"]["code"] == "rate_limit_exceeded"
        assert chat(speech.url, "x").status_code == 200  # only the transcriptions were limited
        assert transcribe(speech.url, wav(1)).status_code == 200
        assert speech.stats()["requests"] == {"transcriptions": 3, "chat": 1}
        assert len(speech.stats()["transcribed"]) == 1  # a 429 is not processed

    def test_quota_500_503_unauthorized(self, speech):
        for kind in ("quota", "error500", "error503", "unauthorized"):
            speech.inject(kind)
        quota = transcribe(speech.url, wav(1))
        assert quota.status_code == 429 and quota.json()["error"]["code"] == "insufficient_quota"
        assert "Retry-After" not in quota.headers
        error500 = chat(speech.url, "x")
        assert error500.status_code == 500 and error500.headers["Content-Type"].startswith("text/html")
        assert transcribe(speech.url, wav(1)).status_code == 503
        assert transcribe(speech.url, wav(1)).status_code == 401  # with the right key
        assert transcribe(speech.url, wav(1)).status_code == 200
        assert len(speech.stats()["transcribed"]) == 1

    def test_slow_answer_is_processed_before_the_client_gives_up(self, speech):
        speech.inject("slow", seconds=2)
        with pytest.raises(requests.Timeout):
            transcribe(speech.url, wav(1), timeout=0.5)
        assert len(speech.stats()["transcribed"]) == 1  # transcribed (and billed) although unanswered
        started = time.monotonic()
        assert transcribe(speech.url, wav(1)).status_code == 200 and time.monotonic() - started < 1

    def test_drop_and_latency(self, speech):
        speech.inject("drop", "chat")
        with pytest.raises(requests.ConnectionError):
            chat(speech.url, "x")
        speech.set_latency(0.3)
        started = time.monotonic()
        assert chat(speech.url, "x").status_code == 200 and time.monotonic() - started >= 0.3

    def test_bad_fault_arguments(self, speech):
        with pytest.raises(ValueError):
            speech.inject("meltdown")
        with pytest.raises(ValueError):
            speech.inject("rate_limit", "embeddings")
        with pytest.raises(ValueError):
            speech.inject("rate_limit", count=0)

    def test_controls_over_http(self, speech):
        base = speech.url[:-len("/v1")]
        answer = requests.post(f"{base}/_sandbox/inject", json={"kind": "rate_limit", "retry_after": 0}, timeout=10)
        assert answer.json() == {"ok": True}
        rate_limited = transcribe(speech.url, wav(1))
        assert rate_limited.status_code == 429 and rate_limited.headers["Retry-After"] == "0"
        requests.post(f"{base}/_sandbox/set_key", json={"key": "other-key-0000"}, timeout=10)
        assert transcribe(speech.url, wav(1)).status_code == 401
        assert requests.get(f"{base}/_sandbox/stats", timeout=10).json()["requests"] == {"transcriptions": 2}
        requests.post(f"{base}/_sandbox/reset_stats", timeout=10)
        assert requests.get(f"{base}/_sandbox/stats", timeout=10).json()["total"] == 0
        bad = requests.post(f"{base}/_sandbox/inject", json={"kind": "nope"}, timeout=10)
        assert bad.status_code == 400 and not bad.json()["ok"]
        assert requests.get(f"{base}/_sandbox/inject", timeout=10).status_code == 405


class TestServing:
    def test_mounted_in_the_teleum_sandbox(self):
        with TeleumSandbox(months=0) as sb:
            assert sb.speech_url == f"{sb.base_url}speech/v1"
            answer = transcribe(sb.speech_url, recording_bytes("x.1"))
            assert answer.status_code == 200 and answer.json() == transcript_of(recording_bytes("x.1"))
            assert requests.get(f"{sb.speech_url}/models", headers=AUTH, timeout=10).json()["data"]
            assert requests.get(f"{sb.base_url}speech/_sandbox/stats", timeout=10).json()["requests"] == \
                {"transcriptions": 1, "models": 1}
            assert sb.speech.stats()["transcribed"] == [hashlib.sha256(recording_bytes("x.1")).hexdigest()]
            assert requests.get(sb.base_url, timeout=10).status_code == 200  # the Teleum side as before

    def test_stop_wakes_slow_answers(self):
        sb = TeleumSandbox(months=0).start()
        sb.speech.inject("slow", seconds=60)
        worker = threading.Thread(target=lambda: transcribe(sb.speech_url, wav(1), timeout=30))
        worker.start()
        time.sleep(0.3)
        started = time.monotonic()
        sb.stop()
        worker.join(5)
        assert time.monotonic() - started < 3 and not worker.is_alive()

    def test_cli_own_port(self):
        command = [sys.executable, "-m", "sandbox", "--port", "0", "--months", "0", "--speech-port", "0",
                   "--speech-key", "cli-key-123456"]
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            lines = [process.stdout.readline() for _ in range(4)]
            line = next(x for x in lines if "speech service" in x)
            url = line.split("): ")[1].split()[0]
            assert url.endswith("/v1") and "/speech/" not in url
            headers = {"Authorization": "Bearer cli-key-123456"}
            assert transcribe(url, wav(1), headers=headers).status_code == 200
            process.send_signal(signal.SIGINT)
            assert process.wait(10) == 0
        finally:
            process.kill()
