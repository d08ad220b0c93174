"""Transcripts and summaries of recorded calls, against the sandbox's speech service (sandbox/speech.py)
over real HTTP: what each call gets, what is sent (once), refusals, back-off, privacy, access, logs."""

import hashlib
import logging
import os
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest.mock import patch

import pytz

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..models import teleum_call
from ..sandbox.data import recording_bytes
from ..sandbox.speech import DEFAULT_KEY, summary_of, transcript_of
from .common import DEMO_LOGIN, TeleumCase

MSK = pytz.timezone("Europe/Moscow")
OUR_NUMBER = "78123232323"
FAST_SPEECH = {"timeout": 10, "rate_limit_wait": 5, "rate_limit_retries": 2}


def order_number(call):
    """The order number the sandbox's speech service puts in each transcript (five digits)."""
    return next(word.strip(".,?") for word in call.transcript.split() if word.strip(".,?").isdigit())


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []
        self.formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def emit(self, record):
        self.lines.append(self.format(record))  # message, args and traceback, as a log file gets them


class TranscriptCase(TeleumCase):
    sandbox_options = {"seed": 3, "months": 1, "calls_per_month": 12}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        # recorded calls of the last days: long ones, a short one (under the 10 s default), one unrecorded
        for minutes_ago, billsec, record in ((30, 65, True), (90, 42, True), (150, 5, True), (200, 125, True),
                                             (260, 80, False)):
            cls.add_call("79161230%03d" % minutes_ago, minutes_ago, billsec, record)
        cls.account.action_sync()

    @classmethod
    def add_call(cls, src, minutes_ago, billsec, record=True):
        when = datetime.now(MSK) - timedelta(minutes=minutes_ago)
        cls.sandbox.add_call(DEMO_LOGIN, src=src, dst=OUR_NUMBER, calldate=when.strftime("%Y-%m-%d %H:%M:%S"),
                             billsecu=str(billsec), billsec="%02d:%02d" % divmod(billsec, 60),
                             disposition="ANSWERED", record=record)

    def setUp(self):
        super().setUp()
        self.speech = self.sandbox.speech
        self.speech.clear_faults()
        self.speech.reset_stats()
        self.speech.set_key(DEFAULT_KEY)
        self.startPatcher(patch.object(type(self.env["res.company"]), "_teleum_speech_options",
                                       lambda company: dict(FAST_SPEECH)))
        self.startPatcher(patch.object(teleum_call, "TRANSCRIPT_BATCH", 100))
        self.configure()

    def configure(self, company=None, **values):
        (company or self.company).write(dict({
            "teleum_stt_url": self.sandbox.speech_url, "teleum_stt_key": DEFAULT_KEY, "teleum_stt_model": "whisper-1",
            "teleum_summary_model": "gpt-4o-mini", "teleum_stt_min_seconds": 10,
            "teleum_stt_since": fields.Date.today() - timedelta(days=40),
        }, **values))

    def run_cron(self):
        self.env["teleum.call"]._cron_transcribe()
        self.env.invalidate_all()

    def recorded(self, company=None):
        """The calls the transcripts are for: recorded, since the configured day."""
        company = company or self.company
        since = datetime.combine(company.teleum_stt_since, datetime.min.time())
        return self.env["teleum.call"].search([("company_id", "=", company.id), ("has_recording", "=", True),
                                               ("call_date", ">=", since)])

    @staticmethod
    def audio(call):
        return recording_bytes(call.recording_id.file_id)

    def sent(self):
        return self.speech.stats()


@tagged("post_install", "-at_install")
class TestTranscripts(TranscriptCase):

    def test_each_call_gets_its_own_text_and_summary_after_two_429s(self):
        self.speech.inject("rate_limit", "transcriptions", count=2, retry_after=1)
        self.run_cron()
        calls = self.recorded()
        long_calls = calls.filtered(lambda c: c.duration >= 10)
        self.assertGreaterEqual(len(long_calls), 3)
        self.assertIn(5, calls.mapped("duration"), "the short recorded call is there")
        for call in long_calls:
            expected = transcript_of(self.audio(call))
            with self.subTest(call=call.id):
                self.assertEqual(call.transcript_state, "done", call.transcript_error)
                self.assertEqual(call.transcript, expected["text"], "the text of this call's own audio")
                self.assertEqual(call.transcript_segments, [
                    {"start": s["start"], "end": s["end"], "text": s["text"].strip()} for s in expected["segments"]])
                # in the language of the agent, else of the company (English here)
                self.assertEqual(call.transcript_summary, summary_of(expected["text"], "Write in English"))
                self.assertTrue(call.transcript_summary.startswith("The customer"))
                self.assertEqual(call.transcript_summary_line, call.transcript_summary.splitlines()[0])
        for call in calls - long_calls:
            self.assertEqual(call.transcript_state, "skipped")
            self.assertFalse(call.transcript)
        stats = self.sent()
        # each long recording sent once (the two 429s were answered before anything was done)
        self.assertCountEqual(stats["transcribed"], [hashlib.sha256(self.audio(c)).hexdigest() for c in long_calls])
        self.assertEqual(stats["requests"]["transcriptions"], len(long_calls) + 2)
        self.assertEqual(stats["summarized"], len(long_calls))
        unrecorded = self.env["teleum.call"].search([("company_id", "=", self.company.id),
                                                     ("has_recording", "=", False)])
        self.assertFalse(unrecorded.filtered("transcript_state"))

        self.speech.reset_stats()
        self.run_cron()
        self.assertEqual(self.sent()["total"], 0, "a second run sends nothing")

    def test_summary_in_the_agents_language(self):
        self.env["res.lang"]._activate_lang("ru_RU")
        agent = new_test_user(self.env, "stt_agent_ru", groups="teleum_telephony.group_teleum_own", lang="ru_RU")
        call = self.recorded().filtered(lambda c: c.duration >= 10)[:1]
        call.user_id = agent
        self.run_cron()
        self.assertEqual(call.transcript_summary, summary_of(call.transcript, "Russian"))
        self.assertIn("Следующий шаг", call.transcript_summary)

    def test_a_401_stops_the_job_and_shows_the_message(self):
        self.configure(teleum_stt_key="sk-wrong-key-0123456789")
        self.run_cron()
        company = self.company.sudo()
        self.assertTrue(company.teleum_stt_stopped)
        self.assertIn("Incorrect API key provided", company.teleum_stt_error)
        self.assertNotIn("sk-wrong-key-0123456789", company.teleum_stt_error)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.teleum_stt_error, company.teleum_stt_error, "shown on the settings")
        self.assertEqual(self.sent()["requests"], {"transcriptions": 1}, "the first refusal stopped the run")
        self.assertFalse(self.recorded().filtered("transcript"))
        self.assertFalse(self.recorded().filtered(lambda c: c.transcript_attempts), "a refusal is no attempt")
        self.run_cron()
        self.assertEqual(self.sent()["requests"], {"transcriptions": 1}, "nothing sent until it is fixed")
        # fixed: the right key
        self.configure()
        self.assertFalse(company.teleum_stt_stopped)
        self.assertFalse(company.teleum_stt_error)
        self.run_cron()
        self.assertTrue(all(c.transcript for c in self.recorded().filtered(lambda c: c.duration >= 10)))

    def test_a_refused_summary_keeps_the_transcript_and_never_resends_the_audio(self):
        self.configure(teleum_summary_model="gpt-9")
        self.run_cron()
        self.assertIn("The model `gpt-9` does not exist", self.company.sudo().teleum_stt_error)
        call = self.recorded().filtered("transcript")
        self.assertEqual(len(call), 1, "the first call got its transcript, its summary was refused")
        self.assertEqual(call.transcript_state, "pending")
        self.assertFalse(call.transcript_summary)
        self.configure(teleum_summary_model="gpt-4o-mini")
        self.speech.reset_stats()
        self.run_cron()
        self.assertEqual(call.transcript_state, "done")
        self.assertEqual(call.transcript_summary, summary_of(call.transcript, "English"))
        self.assertNotIn(hashlib.sha256(self.audio(call)).hexdigest(), self.sent()["transcribed"])

    def test_a_company_without_url_sends_nothing(self):
        self.configure(teleum_stt_url=False)
        self.run_cron()
        self.assertEqual(self.sent()["total"], 0)
        self.assertFalse(self.recorded().filtered("transcript_state"))

    def test_server_errors_are_retried_with_back_off(self):
        self.speech.inject("error500", "transcriptions", count=1)
        self.run_cron()
        failed = self.recorded().filtered(lambda c: c.transcript_state == "pending" and not c.transcript)
        self.assertEqual(len(failed), 1, "one failure does not stop the others")
        self.assertEqual(failed.transcript_attempts, 1)
        self.assertIn("HTTP 500", failed.transcript_error)
        self.assertGreater(failed.transcript_retry_at, fields.Datetime.now() + timedelta(minutes=4))
        done = self.recorded().filtered(lambda c: c.transcript_state == "done")
        self.assertEqual(len(done), len(self.recorded().filtered(lambda c: c.duration >= 10)) - 1)
        self.speech.reset_stats()
        self.run_cron()
        self.assertEqual(self.sent()["total"], 0, "not before its time")
        failed.transcript_retry_at = fields.Datetime.now() - timedelta(seconds=1)
        self.run_cron()
        self.assertEqual(failed.transcript_state, "done")
        self.assertEqual(failed.transcript, transcript_of(self.audio(failed))["text"])
        self.assertEqual(self.sent()["requests"]["transcriptions"], 1)

    def test_given_up_after_five_failures(self):
        call = self.recorded().filtered(lambda c: c.duration >= 10)[:1]
        for attempt in range(1, 6):
            self.speech.inject("error503", "transcriptions", count=1)
            self.env["teleum.call"]._teleum_transcribe_company(self.company, batch=1)
            self.env.invalidate_all()
            self.assertEqual(call.transcript_attempts, attempt)
            call.transcript_retry_at = fields.Datetime.now() - timedelta(seconds=1)
        self.assertEqual(call.transcript_state, "failed")
        self.speech.reset_stats()
        self.env["teleum.call"]._teleum_transcribe_company(self.company, batch=1)
        self.assertNotIn(hashlib.sha256(self.audio(call)).hexdigest(), self.sent()["transcribed"])

    def test_a_long_retry_after_pauses_the_company(self):
        self.speech.inject("rate_limit", count=1, retry_after=120)
        self.run_cron()
        paused = self.company.sudo().teleum_stt_paused_until
        self.assertGreater(paused, fields.Datetime.now() + timedelta(seconds=100))
        self.assertFalse(self.recorded().filtered(lambda c: c.transcript_attempts), "a 429 is no attempt")
        self.speech.reset_stats()
        self.run_cron()
        self.assertEqual(self.sent()["total"], 0, "paused")

    def test_daily_limit_of_minutes(self):
        long_calls = self.recorded().filtered(lambda c: c.duration >= 10)
        long_calls.duration = 50
        self.configure(teleum_stt_daily_minutes=2)  # two calls of 50 s, not a third
        self.run_cron()
        sent = self.recorded().filtered("transcript_sent_date")
        self.assertEqual(len(sent), 2, "the rest waits")
        self.assertEqual(len(self.sent()["transcribed"]), 2)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.teleum_stt_sent_minutes, 2)
        self.speech.reset_stats()
        self.run_cron()
        self.assertEqual(self.sent()["total"], 0, "what was sent in the last 24 hours counts")
        sent.transcript_sent_date = fields.Datetime.now() - timedelta(hours=25)
        self.run_cron()
        self.assertEqual(len(self.sent()["transcribed"]), min(2, len(long_calls) - 2), "the next day, the next two")

    def test_search_by_a_word_of_the_transcript(self):
        self.run_cron()
        call = self.recorded().filtered("transcript")[:1]
        found = self.env["teleum.call"].search([("transcript", "ilike", order_number(call))])
        self.assertEqual(found, call)
        self.env.cr.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'teleum_call' "
                            "AND indexdef ILIKE '%%(transcript gin_trgm_ops)%%'")
        self.assertTrue(self.env.cr.fetchall(), "the words are searched through a trigram index")

    def test_neutralized_copy_sends_nothing(self):
        path = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "neutralize.sql")
        self.env.flush_all()
        with open(path, encoding="utf-8") as sql:
            self.env.cr.execute(sql.read())
        self.env.invalidate_all()
        self.assertFalse(self.company.sudo().teleum_stt_url)
        self.assertFalse(self.company.sudo().teleum_stt_key)
        self.configure()  # even typed in again
        self.run_cron()
        self.assertEqual(self.sent()["total"], 0)


@tagged("post_install", "-at_install")
class TestTranscriptPrivacy(TranscriptCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sales = "sales_team.group_sale_salesman,"
        cls.own = new_test_user(cls.env, "stt_own", groups=sales + "teleum_telephony.group_teleum_own")
        cls.internal = new_test_user(cls.env, "stt_internal", groups=sales + "base.group_user")
        cls.manager = new_test_user(cls.env, "stt_manager", groups="teleum_telephony.group_teleum_manager")

    def test_access_to_transcripts_follows_access_to_the_call(self):
        self.run_cron()
        mine, other = self.recorded().filtered("transcript")[:2]
        mine.user_id = self.own
        Call = self.env["teleum.call"].with_user(self.own)
        self.assertEqual(Call.browse(mine.id).read(["transcript", "transcript_summary"])[0]["transcript"],
                         mine.transcript)
        with self.assertRaises(AccessError):
            Call.browse(other.id).read(["transcript"])
        word = order_number(other)  # a word of the other call only…
        self.assertIn(other, self.env["teleum.call"].search([("transcript", "ilike", word)]))
        self.assertFalse(Call.search([("transcript", "ilike", word)]), "…is not found by who may not read it")
        self.assertEqual(Call.search([("transcript", "ilike", order_number(mine))]), mine)
        with self.assertRaises(AccessError):
            self.env["teleum.call"].with_user(self.internal).search_read([], ["transcript"])

    def test_erase_a_contacts_transcripts(self):
        self.run_cron()
        call = self.recorded().filtered("transcript")[:1]
        partner = self.env["res.partner"].create({"name": "Asks to forget", "phone": "+" + call.remote_number})
        self.assertEqual(call.partner_id, partner)
        with self.assertRaises(AccessError):
            partner.with_user(self.own).action_teleum_erase_transcripts()
        self.assertTrue(call.transcript)
        partner.with_user(self.manager).action_teleum_erase_transcripts()
        self.env.invalidate_all()
        self.assertEqual(call.transcript_state, "erased")
        self.assertFalse(call.transcript or call.transcript_summary or call.transcript_segments)
        self.speech.reset_stats()
        self.run_cron()
        self.assertEqual(self.sent()["total"], 0, "not made again")

    def test_retention_empties_old_transcripts(self):
        self.run_cron()
        done = self.recorded().filtered("transcript")
        old = done[:1]
        old.call_date = fields.Datetime.now() - timedelta(days=31)
        self.configure(teleum_stt_retention_days=30)
        self.run_cron()
        self.assertEqual(old.transcript_state, "erased")
        self.assertFalse(old.transcript or old.transcript_summary)
        self.assertTrue(all(c.transcript for c in done - old))

    def test_chatter_note_gets_the_summary(self):
        self.company.teleum_chatter_calls = "leads"
        call = self.recorded().filtered(lambda c: c.duration >= 10)[:1]
        lead = self.env["crm.lead"].create({"name": "Caller", "phone": "+" + call.remote_number})
        before = self.env["teleum.call"].search([]).ids
        self.add_call(call.remote_number, 10, 50)
        self.account.action_sync()
        new = self.env["teleum.call"].search([("id", "not in", before)])
        self.assertEqual((len(new), new.lead_id, new.has_recording), (1, lead, True), "the new call, from the lead")
        note = new.sudo().teleum_note_ids
        self.assertEqual(len(note), 1, "the import noted the call")
        self.assertNotIn("o_teleum_note_summary", note.body)
        self.run_cron()
        self.assertTrue(new.transcript_summary)
        self.assertIn("o_teleum_note_summary", note.body)
        self.assertIn(new.transcript_summary.splitlines()[0], note.body)
        self.assertEqual(note.model, "crm.lead")
        new._teleum_erase_transcripts()
        self.assertNotIn("o_teleum_note_summary", note.body, "an erased summary leaves the note too")


@tagged("post_install", "-at_install")
class TestTranscriptSecrets(TranscriptCase):

    @contextmanager
    def capture_debug(self):
        # as test_security does: every logger of the speech side at DEBUG (odoo.sql_db stays as the
        # tests run it: at DEBUG it prints every query with its values, which is Odoo's --log-sql)
        capture = _Capture()
        names = ("", "speech_api", "urllib3", "requests", "werkzeug", "odoo.addons.teleum_telephony")
        loggers = [logging.getLogger(name) for name in names]
        levels = [logger.level for logger in loggers]
        root = logging.getLogger()
        root.addHandler(capture)
        for logger in loggers:
            logger.setLevel(logging.DEBUG)
        try:
            yield capture
        finally:
            root.removeHandler(capture)
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)

    def test_the_key_is_in_no_log_line_at_debug(self):
        key = "sk-proj-secret-" + "7" * 24
        self.speech.set_key(key)
        with self.capture_debug() as capture:
            self.configure(teleum_stt_key=key, teleum_stt_url=self.sandbox.speech_url + "?key=" + key)
            self.speech.inject("rate_limit", count=1, retry_after=0)
            self.speech.inject("error500", "chat", count=1)
            self.run_cron()
            self.assertTrue(self.recorded().filtered("transcript"), "it worked with that key")
            self.configure(teleum_stt_key=key + "-old", teleum_stt_url=self.sandbox.speech_url)
            self.run_cron()  # refused: the provider echoes the wrong key, masked
            self.company._teleum_stt_test()
        self.assertTrue([line for line in capture.lines if line.startswith("urllib3") and "POST" in line],
                        "urllib3's DEBUG lines were captured")
        self.assertTrue([line for line in capture.lines if "stopped" in line])
        leaks = [line for line in capture.lines if key in line]
        self.assertFalse(leaks)
        shown = [self.company.sudo().teleum_stt_error] + self.env["teleum.call"].search([]).mapped("transcript_error")
        self.assertFalse([text for text in shown if text and key in text])

    def test_the_key_is_for_administrators_only(self):
        user = new_test_user(self.env, "stt_mgr", groups="teleum_telephony.group_teleum_manager")
        company = self.company.with_user(user)
        for fname in ("teleum_stt_key", "teleum_stt_url", "teleum_stt_error"):
            with self.assertRaises(AccessError):
                company.read([fname])
        self.assertNotIn("teleum_stt_key", company.fields_get())

    def test_the_test_button(self):
        settings = self.env["res.config.settings"].create({})
        action = settings.action_teleum_stt_test()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("Здравствуйте", action["params"]["message"])
        self.assertIn("Summary:", action["params"]["message"])
        self.assertEqual(self.sent()["requests"], {"transcriptions": 1, "chat": 1})
        self.configure(teleum_stt_key="wrong-key-000000")
        action = self.env["res.config.settings"].create({}).action_teleum_stt_test()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("Incorrect API key provided", action["params"]["message"])
        self.assertTrue(self.company.sudo().teleum_stt_stopped)
