import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..speech_api import SpeechClient, SpeechError, sample_wav
from ..speech_api.redact import redact
from ..tools.transcripts import request_language

_logger = logging.getLogger(__name__)

CHATTER_CALLS = [
    ("off", "Off"),
    ("leads", "Leads only"),
    ("leads_contacts", "Leads and contacts"),
    ("missed", "Missed calls only"),
]

STT_LANGUAGES = [
    ("ru", "Russian"),
    ("en", "English"),
    ("uk", "Ukrainian"),
    ("be", "Belarusian"),
    ("kk", "Kazakh"),
    ("auto", "Detect automatically"),
]

#: changing one of these is "fixing" a refusal: the transcripts start again
STT_SETTINGS = ("teleum_stt_url", "teleum_stt_key", "teleum_stt_model", "teleum_stt_language",
                "teleum_summary_model")


class ResCompany(models.Model):
    _inherit = "res.company"

    teleum_chatter_calls = fields.Selection(
        CHATTER_CALLS, string="Calls in the chatter", default="leads", required=True,
        help="Which imported calls leave a note in the chatter: on the caller's lead or opportunity "
             "only, also on the contact, or only the missed calls (on both). Calls older than the "
             "call-back window (history imported on the first sync) never do.")
    teleum_callback_target = fields.Integer(
        "Return missed calls within", default=15, required=True,
        help="Minutes: a missed call returned within this time counts as returned in time in the calls analysis.")
    teleum_assign_salesperson = fields.Boolean(
        "Salesperson from the first answered call", default=True,
        help="A contact or an open lead with no salesperson gets the agent who answered its first call. "
             "An existing salesperson is never replaced.")

    # ------------------------------------------------------------------ transcripts of recorded calls
    # A company without a URL sends nothing. The URL, the key and the service's refusal are for
    # administrators only (the key is never logged: speech_api redacts it; neutralize.sql blanks both).
    teleum_stt_url = fields.Char(
        "Speech service URL", groups="base.group_system", copy=False,
        help="Base URL of an OpenAI-compatible speech service, e.g. https://api.openai.com/v1 or "
             "http://whisper.local:8000/v1 for a server of your own. Empty: no recording is sent anywhere.")
    teleum_stt_key = fields.Char("Speech service key", groups="base.group_system", copy=False,
                                 help="Sent as 'Authorization: Bearer …'. Empty for a server that asks for none.")
    teleum_stt_model = fields.Char("Transcription model", default="whisper-1")
    teleum_stt_language = fields.Selection(STT_LANGUAGES, "Language of the calls", default="ru")
    teleum_stt_min_seconds = fields.Integer(
        "Shortest call transcribed (s)", default=10,
        help="Recorded calls shorter than this are not sent (marked Skipped when the transcripts reach them).")
    teleum_summary_model = fields.Char(
        "Summary model", help="A chat model of the same service (e.g. gpt-4o-mini) that summarises each "
                              "transcript: what the customer wanted, what was agreed, the next step. "
                              "Empty: no summary.")
    teleum_stt_daily_minutes = fields.Integer(
        "Minutes a day at most", default=0,
        help="The most minutes of recordings sent in any 24 hours; the rest waits. 0: no limit.")
    teleum_stt_retention_days = fields.Integer(
        "Keep transcripts (days)", default=0,
        help="Transcripts and summaries of calls older than this are emptied. 0: kept.")
    teleum_stt_since = fields.Date(
        "Transcribe calls from", help="Recorded calls before this day are not sent (history imported on the "
                                      "first sync). Set to the day the URL is entered.")
    teleum_stt_error = fields.Text("Speech service refusal", readonly=True, groups="base.group_system", copy=False)
    teleum_stt_stopped = fields.Boolean(
        "Transcripts stopped", readonly=True, groups="base.group_system", copy=False,
        help="The service refused the requests (key, model, URL): nothing is sent until the settings are changed "
             "or the test succeeds.")
    teleum_stt_paused_until = fields.Datetime("Transcripts paused until", readonly=True, groups="base.group_system",
                                              copy=False)

    def write(self, vals):
        fixing = [f for f in STT_SETTINGS if f in vals]
        changed = self.sudo().filtered(
            lambda c: any((c[f] or False) != (vals[f] or False) for f in fixing)) if fixing else self.browse()
        res = super().write(vals)
        if "teleum_callback_target" in vals:
            self.env["teleum.call"]._teleum_apply_return_target(self)
        if changed:  # a refusal is "fixed" by changing what was refused: the transcripts start again
            resumed = {"teleum_stt_stopped": False, "teleum_stt_error": False, "teleum_stt_paused_until": False}
            changed.write(resumed)
            changed.filtered(lambda c: c.teleum_stt_url and not c.teleum_stt_since).write(
                {"teleum_stt_since": fields.Date.context_today(self)})
        return res

    @api.constrains("teleum_callback_target")
    def _check_teleum_callback_target(self):
        if any(company.teleum_callback_target < 1 for company in self):
            raise ValidationError(_("Missed calls must be returned within at least one minute."))

    def _teleum_speech_client(self):
        """The speech client of this company (URL and key read with sudo: the cron and the test)."""
        self.ensure_one()
        company = self.sudo()
        if self.env["teleum.account"]._is_neutralized():
            raise UserError(_("This database is a neutralized copy: it sends no recording to a speech service."))
        if not company.teleum_stt_url:
            raise UserError(_("Enter the speech service URL first."))
        return SpeechClient(company.teleum_stt_url, company.teleum_stt_key, **self._teleum_speech_options())

    def _teleum_speech_options(self):
        """Hook for tests and deployments. One number as timeout: Odoo's test harness compares it with an int.
        A Retry-After of up to 5 s is waited for within the run, twice at most."""
        return {"timeout": 120, "rate_limit_wait": 5, "rate_limit_retries": 2}

    def _teleum_stt_error_text(self, exc):
        """Plain, translated words for a speech-service failure, with the service's own message."""
        message = redact(getattr(exc, "message", "") or str(exc), (self.sudo().teleum_stt_key,))
        code = getattr(exc, "code", None)
        if code == "auth":
            return _("The speech service refused the key: %(message)s", message=message)
        if code == "refused":
            return _("The speech service refused the request: %(message)s", message=message)
        if code == "config":
            return _("The speech service URL is not valid: %(message)s", message=message)
        if code == "audio":
            return _("The speech service refused this recording: %(message)s", message=message)
        if code == "rate_limit":
            return _("The speech service asks to slow down: %(message)s", message=message)
        if code == "transient":
            return _("The speech service could not be reached or failed (%(message)s); it is tried again later.",
                     message=message)
        return message

    def _teleum_stt_refused(self, exc):
        """A refusal (key, model, URL): shown on the settings, and nothing sent until they change."""
        text = self._teleum_stt_error_text(exc)
        _logger.warning("Transcripts of company %s stopped: %s", self.id, text)
        self.sudo().write({"teleum_stt_stopped": True, "teleum_stt_error": text})
        return text

    def _teleum_stt_test(self):
        """Send a short generated audio (and ask for its summary): a notification says what came back.
        Never raises, so the settings saved with it stay saved."""
        self.ensure_one()
        summary_model = self.sudo().teleum_summary_model
        try:
            with self._teleum_speech_client() as client:
                transcript = client.transcribe(sample_wav(1.0), "teleum-test.wav", model=self.teleum_stt_model,
                                               language=request_language(self.teleum_stt_language))
                summary = transcript.text and summary_model and client.summarize(
                    transcript.text, model=summary_model,
                    language=self.env["teleum.call"]._teleum_summary_language(self))
        except (SpeechError, UserError) as exc:
            text = self._teleum_stt_error_text(exc) if isinstance(exc, SpeechError) else str(exc.args[0])
            if getattr(exc, "code", None) in ("auth", "refused", "config"):
                self._teleum_stt_refused(exc)
            return self.env["teleum.account"]._notify(_("Speech service test failed"), text, "danger")
        self.sudo().write({"teleum_stt_stopped": False, "teleum_stt_error": False, "teleum_stt_paused_until": False})
        self.env.ref("teleum_telephony.ir_cron_teleum_transcripts")._trigger()
        lines = [_("Transcript: %(text)s", text=transcript.text or _("(no speech recognised)"))]
        if summary:
            lines.append(_("Summary: %(summary)s", summary=summary))
        return self.env["teleum.account"]._notify(_("Speech service answered"), "\n".join(lines), "success")
