"""Call detail records (``teleum.call``): fields, indexes, display, actions, and the import's
storing and follow-up.

Teleum gives calls no id. A call is identified by its fingerprint (date, numbers, duration,
status, description; ``teleum_api.paging.fingerprint``) plus its occurrence: the n-th identical
row of a month's listing is occurrence n. Re-reading a month therefore finds every row already
stored (nothing is created twice), while two identical rows in one answer stay two calls.
Which pages to read is the pager's job (``teleum.account._sync_calls``).

- Storing: ``_import_rows()`` stores the rows of one page that are new (``_store_calls()``),
  then hands them to ``_after_import()``.
- Follow-up: calls from a number known as a lead are linked to it, an unknown caller of a number
  that asks for it gets a lead, and a missed call asks for one call-back per caller, closed by a
  later answered call. The pages of one import before the last leave their callers' call-backs in
  ``teleum.callback.pending``, for the page that ends the listing to settle at once. Hooks that
  bridges override (``_after_import``, ``_teleum_callbacks``…) keep their names and signatures.
- Chatter: a compact note per imported call on its lead and, if chosen, its contact, for calls
  inside the call-back window only (a first import of months of history notes nothing old);
  each call keeps its notes, so that a call is never noted twice and a note gets the "Play the
  recording" link when a recording arrives later.
"""

import json
import logging
import re
from datetime import datetime, time, timedelta

import pytz
from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import format_datetime
from odoo.tools.mail import generate_tracking_message_id

from ..speech_api import SpeechAudioError, SpeechError, SpeechRateLimitError, SpeechTransientError
from ..teleum_api import TeleumError
from ..teleum_api.paging import row_fingerprint
from ..tools import format_duration, format_phone, normalize_phone
from ..tools.columns import select
from ..tools.sql_create import insert_columns, set_based_refusal, sql_create
from ..tools.transcripts import (
    MAX_ATTEMPTS,
    RATE_LIMIT_PAUSE,
    request_language,
    retry_delay,
    segments_value,
    summary_line,
)

STATUSES = [
    ("answered", "Answered"),
    ("no_answer", "No answer"),
    ("busy", "Busy"),
    ("failed", "Failed"),
    ("other", "Other"),
]

DIRECTIONS = [("inbound", "Inbound"), ("outbound", "Outbound"), ("internal", "Internal")]

# Calls older than this create no lead and no call-back activity (history imported on the first sync).
CALLBACK_WINDOW = timedelta(days=3)

TRANSCRIPT_STATES = [
    ("pending", "Pending"),
    ("done", "Done"),
    ("failed", "Failed"),
    ("skipped", "Skipped"),
    ("erased", "Erased"),
]
# Recordings sent per company and run of the transcripts' scheduled action (it runs again at once
# while some wait), and the failures in a row (5xx, timeouts) after which a run leaves the rest.
TRANSCRIPT_BATCH = 20
TRANSCRIPT_FAILURES_IN_A_ROW = 3

_logger = logging.getLogger(__name__)


class TeleumCall(models.Model):
    _name = "teleum.call"
    _description = "Teleum Call"
    _order = "call_date desc, id desc"
    _check_company_auto = True
    _rec_name = "remote_number"

    # Indexes: each serves a query that a screen, the sync or a rule runs (the reason is given
    # at the field or in init()); a million calls make every other one a cost on each import
    # with no reader. Few-valued columns (status, direction, company) are never selective enough.
    # account_id: the first column of call_uniq serves it (and the account's cascade delete).
    account_id = fields.Many2one("teleum.account", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    call_date = fields.Datetime("Date", readonly=True)  # indexed in init()
    call_date_local = fields.Char("Date (Teleum)", readonly=True,
                                  help="The date as Teleum wrote it, in the account's time zone.")
    src = fields.Char("From", readonly=True)
    dst = fields.Char("To", readonly=True)
    duration = fields.Integer(readonly=True, aggregator="avg",
                              help="Talk time in seconds, shown as h:mm:ss; averaged in groups and reports.")
    billsec = fields.Char("Billed time (mm:ss)", readonly=True,
                          help="Talk time Teleum bills, as Teleum writes it (billsec); in seconds: Duration.")
    disposition = fields.Char("Teleum status", readonly=True)
    status = fields.Selection(STATUSES, required=True, default="other", readonly=True)
    direction = fields.Selection(DIRECTIONS, readonly=True)
    rdr = fields.Char("Description", readonly=True, help="Teleum's description of the call (forwards…).")
    # trigram: searching the calls list for a part of a number; a btree (init) serves the rest
    remote_number = fields.Char("Other party (E.164)", index="trigram", readonly=True,
                                help="The outside number of the call, normalised (E.164 digits).")
    remote_number_formatted = fields.Char(
        "Other party", compute="_compute_remote_number_formatted", search="_search_remote_number_formatted",
        help="The outside number of the call, formatted like the contacts' phone numbers.")
    number_id = fields.Many2one("teleum.number", "Teleum number", readonly=True)
    sip_id = fields.Many2one("teleum.sip", "SIP line", readonly=True)
    user_id = fields.Many2one("res.users", "Agent")  # indexed with the date in init()
    # An internal call is the answering line's (user_id); the colleague who placed it sees it too
    # (own-calls rule, "My calls"). One row still: the analysis counts it once, for user_id.
    caller_user_id = fields.Many2one("res.users", "Placed by", readonly=True,  # partial index in init()
                                     help="For an internal call: the agent of the line that placed it.")
    blacklisted = fields.Boolean(
        readonly=True, aggregator=None,  # partial index in init()
        help="The other party's number was on the phone blacklist when the call was imported: the call "
             "made no call-back, lead, note or ticket.")
    partner_id = fields.Many2one("res.partner", "Contact")  # indexed with the date in init()
    recording_id = fields.Many2one("teleum.recording", "Recording", readonly=True)
    has_recording = fields.Boolean(compute="_compute_has_recording", store=True, precompute=True)
    fingerprint = fields.Char(required=True, readonly=True)
    occurrence = fields.Integer(required=True, default=1, readonly=True, aggregator=None)
    listing_month = fields.Char("Report month", readonly=True,
                                help="The month of Teleum's report this row came in (YYYY-MM).")
    parse_error = fields.Char(readonly=True, help="Why this row of Teleum's report could not be read.")
    raw = fields.Text("Teleum row", readonly=True, help="Kept for rows that could not be read.")
    # precomputed: create() writes each new call once (not once more for it)
    missed = fields.Boolean(compute="_compute_missed", store=True, precompute=True)  # partial index in init()
    # a lead's calls are found by its numbers; this index serves deleting or merging leads (SET NULL)
    lead_id = fields.Many2one("crm.lead", "Lead", index="btree_not_null", readonly=True,
                              help="The lead of a caller who is not a contact (matched on its phone numbers).")
    # The return of a missed inbound call (set by _teleum_link_returns at each import): the first
    # later connected call with the same number, ours to it or its to us. The index serves
    # deleting calls (SET NULL) and holds only returned calls.
    callback_call_id = fields.Many2one(
        "teleum.call", "Returned by", index="btree_not_null", ondelete="set null", readonly=True, copy=False,
        help="The first later connected call with this number: our answered call to it, or its answered call to us.")
    callback_delay = fields.Integer(
        "Return delay", readonly=True, copy=False, aggregator="avg",
        help="Seconds from the missed call's start to the start of the call that returned it.")
    callback_in_target = fields.Boolean(
        "Returned in time", default=False, readonly=True, copy=False,
        help="Returned within the company's target (Settings: Return missed calls within).")
    not_returned = fields.Boolean(
        "Not returned", compute="_compute_not_returned", search="_search_not_returned",
        help="A missed inbound call from an outside number that no later connected call returned.")
    callback_activity = fields.Char(
        "Call-back", compute="_compute_callback_activity",
        help="The open call-back activity of this caller (on the contact, lead or ticket) and its due date.")
    callback_activity_user_id = fields.Many2one("res.users", "Call-back by", compute="_compute_callback_activity")

    _sql_constraints = [
        # a call's identity; also the import's "already stored?" lookup of each page
        ("call_uniq", "unique(account_id, fingerprint, occurrence)", "This call is already imported."),
    ]

    # What came of the call, written by its agent or a manager (the only fields people write on a
    # call; the PBX reports the rest). A later change re-renders the call's chatter notes.
    result_id = fields.Many2one("teleum.call.result", "Result", index="btree_not_null",
                                domain="['|', ('company_id', '=', False), ('company_id', '=', company_id)]",
                                help="What came of the call (the list: Telephony › Configuration › Call Results).")
    note = fields.Char(help="A short note on the call, by its agent or a manager.")

    recording_url = fields.Char(compute="_compute_recording_url",
                                help="Address of the recording through Odoo (Teleum's link never reaches the browser).")
    teleum_note_ids = fields.Many2many(
        "mail.message", "teleum_call_note_rel", "call_id", "message_id", string="Chatter notes",
        readonly=True, copy=False, groups="base.group_system",
        help="The notes this call left in the chatter of its lead and contact.")

    # ------------------------------------------------------------------ transcripts: fields
    # Filled by the scheduled action _cron_transcribe (methods: "transcripts" below), never by the
    # import. Readable by whoever reads the call (no groups: the call's rules decide).
    # trigram: the calls list searched by a word of what was said
    transcript = fields.Text(readonly=True, copy=False, index="trigram",
                             help="What was said in the recorded call, as the speech service heard it.")
    transcript_segments = fields.Json(
        "Transcript segments", readonly=True, copy=False,
        help="The transcript by stretches of the recording: [{start, end, text}], seconds from its start.")
    transcript_summary = fields.Text("Summary", readonly=True, copy=False,
                                     help="What the customer wanted, what was agreed, the next step.")
    transcript_summary_line = fields.Char("Summary line", compute="_compute_transcript_summary_line")
    transcript_state = fields.Selection(
        TRANSCRIPT_STATES, "Transcript status", readonly=True, copy=False,
        help="Pending: waiting to be sent (again); Skipped: too short to send; Failed: given up; "
             "Erased: emptied on request or after the retention period.")
    transcript_error = fields.Char("Transcript problem", readonly=True, copy=False)
    transcript_attempts = fields.Integer("Transcript attempts", readonly=True, copy=False, aggregator=None)
    transcript_retry_at = fields.Datetime("Transcript tried again after", readonly=True, copy=False)
    transcript_sent_date = fields.Datetime("Sent for transcription", readonly=True, copy=False,
                                           help="When the recording was last sent (the daily limit counts these).")

    def init(self):
        cr = self.env.cr
        self._teleum_transcript_indexes()
        # Every screen query carries the multi-company rule (company_id IN …): the indexes below
        # INCLUDE company_id so that counts (the list's pager, a contact's button) are read from
        # the index alone, without a visit to each call's row.
        # The list's order (newest first), the date filters, recordings linking.
        cr.execute("CREATE INDEX IF NOT EXISTS teleum_call_date_idx ON teleum_call (call_date) INCLUDE (company_id)")
        # A contact's calls tab and smart button, newest first, and the search by contact name;
        # also deleting a contact (SET NULL). Not partial: "partner_id IN (SELECT …)" (child_of,
        # a name search) is a join, and a join's condition cannot prove a partial index's predicate.
        cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_partner_idx ON teleum_call (partner_id, call_date DESC) "
            "INCLUDE (company_id)"
        )
        # The own-calls rule (user_id = uid) and "My calls", newest first; also deleting a user.
        cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_user_idx ON teleum_call "
            "(user_id, call_date DESC) INCLUDE (company_id) WHERE user_id IS NOT NULL"
        )
        # The own-calls rule's other half (internal calls placed: caller_user_id = uid) and the
        # team rule's, newest first; only internal calls have one, so the index stays small.
        cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_caller_user_idx ON teleum_call "
            "(caller_user_id, call_date DESC) INCLUDE (company_id) WHERE caller_user_id IS NOT NULL"
        )
        # The Blacklisted filter, newest first (few calls: a small partial index).
        cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_blacklisted_idx ON teleum_call (call_date DESC) "
            "INCLUDE (company_id) WHERE blacklisted"
        )
        # The Missed filter, newest first (a boolean alone is not selective).
        cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_missed_idx ON teleum_call (call_date DESC) INCLUDE (company_id) "
            "WHERE missed"
        )
        # Equality on the number: a lead's calls, linking calls when a contact or lead gets the
        # number, and the call-back step's "latest missed / answered call of this caller".
        cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_remote_date_idx ON teleum_call (remote_number, call_date)"
        )
        # A caller's connected calls by date: the return of a missed call (the first answered call
        # after it, the one before) and the call-backs' "latest answered call", each one index
        # probe instead of walking the caller's every call (a frequent caller's missed ones too).
        cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_answered_idx ON teleum_call (remote_number, call_date) "
            "INCLUDE (company_id) WHERE status = 'answered'"
        )
        # counted for every month at every sync, to tell an unchanged month
        cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_account_month_idx ON teleum_call (account_id, listing_month)"
        )

    @api.depends("recording_id")
    def _compute_has_recording(self):
        for call in self:
            call.has_recording = bool(call.recording_id)

    @staticmethod
    def _missed_values(direction, status):
        """Whether a call was missed: the compute, shared with the set-based import."""
        return direction == "inbound" and status in ("no_answer", "busy", "failed")

    @api.depends("status", "direction")
    def _compute_missed(self):
        for call in self:
            call.missed = self._missed_values(call.direction, call.status)

    @api.depends("missed", "remote_number", "callback_call_id")
    def _compute_not_returned(self):
        pending = self.filtered_domain(self._teleum_not_returned_domain())
        for call in self:
            call.not_returned = call in pending

    def _search_not_returned(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(_("Unsupported search on %(field)s.", field="not_returned"))
        domain = self._teleum_not_returned_domain()
        return domain if (operator == "=") == value else ["!", *expression.normalize_domain(domain)]

    def _compute_callback_activity(self):
        """The caller's open call-back (one per caller, on the record _teleum_callback_targets names)."""
        self.callback_activity = False
        self.callback_activity_user_id = False
        callback = self.env.ref("teleum_telephony.mail_activity_type_call_back", raise_if_not_found=False)
        targets = self.sudo()._teleum_callback_targets() if callback else {}
        if not targets:
            return
        by_model = {}
        for model, res_id in targets.values():
            by_model.setdefault(model, set()).add(res_id)
        activities = {}
        for act in self.env["mail.activity"].sudo().search(expression.AND([
                [("activity_type_id", "=", callback.id)],
                expression.OR([[("res_model", "=", m), ("res_id", "in", list(ids))] for m, ids in by_model.items()])]),
                order="date_deadline, id"):
            activities.setdefault((act.res_model, act.res_id), act)
        for call in self:
            act = activities.get(targets.get(call.remote_number))
            if act:
                call.callback_activity = "%s · %s" % (act.summary or act.activity_type_id.name,
                                                      fields.Date.to_string(act.date_deadline))
                call.callback_activity_user_id = act.user_id

    @api.depends("remote_number")
    def _compute_remote_number_formatted(self):
        for call in self:
            call.remote_number_formatted = format_phone(call.remote_number) or False

    def _search_remote_number_formatted(self, operator, value):
        """A number typed as people write it ("+7 916 123-45-67", "8 916…") finds the stored digits."""
        if operator not in ("ilike", "=", "like", "=ilike") or not isinstance(value, str):
            return [("remote_number", operator, value)]
        digits = re.sub(r"\D", "", value)
        if not digits:
            return [("remote_number", operator, value)]
        if len(digits) >= 10:  # a whole number: compare keys, whatever way it was written
            country = self.env.company.country_id
            digits = normalize_phone(value, country.code or "RU", country.phone_code or 7) or digits
        return [("remote_number", "=" if operator == "=" else "ilike", digits)]

    @api.depends("remote_number", "call_date")
    def _compute_display_name(self):
        for call in self:
            number = format_phone(call.remote_number) or call.src or ""
            date = call.call_date and fields.Datetime.context_timestamp(call, call.call_date)
            call.display_name = "%s %s" % (number, (date and date.strftime("%Y-%m-%d %H:%M")) or "")

    # ------------------------------------------------------------------ CRUD
    # What people may change on a call; every other field of this module stored on a call is what
    # the PBX reported (date, numbers, duration, status, recording, listing…), written by the
    # import only (in sudo). A field another module adds is that module's business.
    _TELEUM_USER_FIELDS = frozenset({"partner_id", "lead_id", "user_id", "result_id", "note"})

    def write(self, vals):
        if not self.env.su:
            self._teleum_check_user_write(vals)
        res = super().write(vals)
        if {"result_id", "note"} & set(vals):
            self._teleum_rerender_notes()  # the chatter notes say the result and note
        return res

    def _teleum_check_user_write(self, vals):
        """Refuse a user's change of what Teleum reported, and of the agent unless a manager."""
        locked = [name for name in vals if name in self._fields and name not in self._TELEUM_USER_FIELDS
                  and "teleum_telephony" in self._fields[name]._modules]
        if locked:
            raise UserError(_(
                "Only the Teleum import changes what Teleum reported about a call: %(fields)s.",
                fields=", ".join(self._fields[name]._description_string(self.env) for name in locked)))
        if "user_id" in vals and not self.env.user.has_group("teleum_telephony.group_teleum_manager"):
            raise UserError(_("Only telephony managers can give a call to another agent."))

    # ------------------------------------------------------------------ actions
    def action_open_partner(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "res.partner", "res_id": self.partner_id.id,
                "view_mode": "form", "views": [(False, "form")]}

    def action_open_lead(self):
        self.ensure_one()
        return {"type": "ir.actions.act_window", "res_model": "crm.lead", "res_id": self.lead_id.id,
                "view_mode": "form", "views": [(False, "form")]}

    def action_create_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "res.partner", "view_mode": "form",
            "views": [(False, "form")], "target": "current",
            "context": {"default_phone": "+" + self.remote_number if self.remote_number else False,
                        "default_name": _("Caller %(number)s", number=self.remote_number or "")},
        }


    @api.depends("recording_id")
    def _compute_recording_url(self):
        for call in self:
            call.recording_url = (call.recording_id and f"/teleum/recording/{call.id}") or False

    def action_create_lead(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "res_model": "crm.lead", "view_mode": "form",
            "views": [(False, "form")], "target": "current",
            "context": {"default_phone": "+" + self.remote_number if self.remote_number else False,
                        "default_partner_id": self.partner_id.id,
                        "default_name": _("Call from %(number)s", number=self.remote_number or "")},
        }

    # ------------------------------------------------------------------ import: storing a page
    @api.model
    def _import_context(self, account):
        """What every page of one account's import needs, read once."""
        numbers = self.env["teleum.number"].with_context(active_test=False).search([("account_id", "=", account.id)])
        sips = self.env["teleum.sip"].with_context(active_test=False).search([("account_id", "=", account.id)])
        country = account.company_id.country_id
        return {
            "numbers": {n.number: n.id for n in numbers},
            "sips": {s.num: (s.id, s.user_id.id) for s in sips},
            "country": (country.code or "RU", country.phone_code or 7) if country else ("RU", 7),
            "tz": pytz.timezone(account.timezone or "Europe/Moscow"),
            "blacklist": self._teleum_blacklist_keys(account.company_id),
            # recordings waiting for their call (teleum.recording._unpaired), set per month by the pager
            "recordings": {},
        }

    def _key(self, number, ctx):
        return normalize_phone(number, *ctx["country"]) if number else ""

    @api.model
    def _import_rows(self, account, rows, carry, ctx, month=None, last_page=True):
        """Store the rows of one page that are not stored yet. ``carry`` counts occurrences.

        ``last_page``: the page ends the month's listing. The call-backs of earlier pages wait
        for it (see ``_after_import``), so it settles them even when it brings nothing new.
        """
        self = self.sudo()  # what the PBX reported is written by the import only (see write())
        if not rows:
            if last_page:
                self._teleum_settle_pending(account.company_id)
            return self.browse()
        keyed = []
        for row in rows:
            fp = row_fingerprint(row, month)
            carry[fp] = carry.get(fp, 0) + 1
            keyed.append((fp, carry[fp], row))
        self.env.cr.execute(
            "SELECT fingerprint, occurrence FROM teleum_call WHERE account_id = %s AND fingerprint = ANY(%s)",
            (account.id, list({fp for fp, _o, _r in keyed})),
        )
        known = set(self.env.cr.fetchall())
        new = [(fp, occ, row) for fp, occ, row in keyed if (fp, occ) not in known]
        if not new:
            if last_page:
                self._teleum_settle_pending(account.company_id)
            return self.browse()
        listing = month.strftime("%Y-%m") if month else False
        vals_list = [dict(self._values_from_row(account, fp, occ, row, ctx), listing_month=listing)
                     for fp, occ, row in new]
        self._match_partners(vals_list, account)
        Recording = self.env["teleum.recording"]
        Recording._pair_new_calls(vals_list, ctx.get("recordings"))
        calls = self._store_calls(vals_list)
        Recording._set_paired_calls(vals_list, calls)
        errors = select(calls, ("parse_error",), bool)
        if errors:
            _logger.warning("Teleum account %s: %d call rows could not be read and were kept as-is",
                            account.id, len(errors))
        calls._after_import(settle=last_page)
        if last_page and account.company_id not in calls.company_id:
            self._teleum_settle_pending(account.company_id)
        return calls

    # Stored computed fields the set-based insert fills itself: {compute method: values function}.
    # A stored computed field whose compute is not here sends the page through create() instead.
    _SQL_COMPUTES = {
        "_compute_missed": lambda vals: {"missed": TeleumCall._missed_values(vals.get("direction"),
                                                                              vals.get("status"))},
        "_compute_has_recording": lambda vals: {"has_recording": bool(vals.get("recording_id"))},
    }

    @api.model
    def _store_calls(self, vals_list, orm=False):
        """Store one page of new calls: ``create()``, or one COPY for the whole page.

        ``create()`` whenever anything else could be watching (another module extending
        teleum.call, an automation rule on it, another module's stored field: see
        ``tools.sql_create.set_based_refusal``), so that all of them see every call. Otherwise the
        COPY leaves every row as ``create()`` would (defaults, stored computed fields, log columns,
        constraints, the company check, other models' dependent fields) — a test stores the same
        page both ways and compares the rows — in less time.
        """
        columns = None if orm else self._sql_insert_columns(vals_list)
        if columns is None:
            return self.create(vals_list)
        return sql_create(self, vals_list, columns)

    @api.model
    def _sql_insert_columns(self, vals_list):
        """The columns of a set-based insert of ``vals_list``, or None when only create() will do."""
        return insert_columns(self, vals_list, self._SQL_COMPUTES)

    @api.model
    def _values_from_row(self, account, fp, occ, row, ctx):
        src, dst = (row.src or "").strip(), (row.dst or "").strip()
        src_key, dst_key = self._key(src, ctx), self._key(dst, ctx)
        numbers, sips = ctx["numbers"], ctx["sips"]
        src_ours = src_key in numbers or src in sips
        dst_ours = dst_key in numbers or dst in sips
        if src_ours and dst_ours:
            direction, remote = "internal", False
        elif src_ours:
            direction, remote = "outbound", dst_key
        else:
            direction, remote = "inbound", src_key
        sip = sips.get(src) if direction == "outbound" else sips.get(dst)
        if not sip and row.rdr:  # "Переадресация на: 101": the line the call was forwarded to
            tail = row.rdr.rsplit(":", 1)[-1].strip()
            sip = sips.get(tail)
        number_id = numbers.get(dst_key) if direction == "inbound" else numbers.get(src_key)
        call_date = False
        if row.call_date:
            call_date = row.call_date.astimezone(pytz.UTC).replace(tzinfo=None)
        return {
            "account_id": account.id,
            "company_id": account.company_id.id,
            "call_date": call_date,
            "call_date_local": row.call_date_local or False,
            "src": src or False,
            "dst": dst or False,
            "duration": row.duration or 0,
            "billsec": row.billsec or False,
            "disposition": row.disposition or False,
            "status": row.status or "other",
            "direction": direction,
            "rdr": row.rdr or False,
            "remote_number": remote or False,
            "number_id": number_id or False,
            "sip_id": sip[0] if sip else False,
            "user_id": sip[1] if sip and sip[1] else False,
            "caller_user_id": self._caller_user(direction, src, sips, sip),
            "blacklisted": bool(remote) and remote in ctx.get("blacklist", ()),
            "fingerprint": fp,
            "occurrence": occ,
            "parse_error": row.error or False,
            "raw": json.dumps(row.raw, ensure_ascii=False, default=str) if row.error else False,
        }

    @api.model
    def _caller_user(self, direction, src, sips, sip):
        """The agent who placed an internal call (its line's user), unless the answering line's own."""
        caller = sips.get(src) if direction == "internal" else None
        if not caller or not caller[1] or (sip and caller[1] == sip[1]):
            return False
        return caller[1]

    @api.model
    def _teleum_blacklist_keys(self, company):
        """The number keys of Odoo's phone blacklist (phone.blacklist, numbers in E.164 with '+'),
        read once per import: the calls with them are marked ``blacklisted``."""
        country = company.country_id
        args = (country.code or "RU", country.phone_code or 7) if country else ("RU", 7)
        numbers = self.env["phone.blacklist"].sudo().search_read([("number", "!=", False)], ["number"])
        return {key for key in (normalize_phone(n["number"], *args) for n in numbers) if key}

    @api.model
    def _match_partners(self, vals_list, account):
        keys = {v["remote_number"] for v in vals_list if v["remote_number"]}
        if not keys:
            return
        partners = self.env["res.partner"]._teleum_partners_by_number(keys, account.company_id)
        for vals in vals_list:
            vals["partner_id"] = partners.get(vals["remote_number"], False)
        # a caller who is no contact but a lead: linked in the INSERT (_teleum_link_leads would
        # write each such call a second time after it)
        unknown = {v["remote_number"] for v in vals_list if v["remote_number"] and not v["partner_id"]}
        leads = self.env["crm.lead"]._teleum_leads_by_number(unknown, account.company_id) if unknown else {}
        for vals in vals_list:
            if not vals["partner_id"] and vals["remote_number"] in leads:
                vals["lead_id"] = leads[vals["remote_number"]]

    # ------------------------------------------------------------------ import: follow-up (leads, call-backs)
    def _after_import(self, settle=True):
        """Hook run on the calls just imported (one page): leads, automatic leads, call-backs.

        Set-based: a handful of queries per page whatever its size. Only calls of the last
        ``CALLBACK_WINDOW`` create leads or activities, so that importing months of history on
        the first sync does not flood the salespeople with call-backs from last quarter.
        ``settle=False`` (not the last page of the listing) notes the callers whose call-backs may
        change and leaves them to the page that ends the listing, which settles them with its own:
        a caller who is missed, reached and missed again over the pages of one import gets one
        call-back, not one opened and closed per page.
        """
        calls = select(self, ("remote_number", "call_date"), lambda number, date: number and date)
        calls._teleum_link_returns()  # the missed calls these calls return, and their delays
        # a blacklisted number's calls are kept, and make no lead, note, salesperson or call-back
        wanted = select(calls, ("blacklisted",), lambda blacklisted: not blacklisted)
        companies = self.company_id
        for company in companies:
            company_calls = calls if len(companies) == 1 else select(
                calls, ("company_id",), lambda company_id, company=company: company_id == company.id)
            company_calls._teleum_link_leads(company)
            company_wanted = select(company_calls, ("blacklisted",), lambda blacklisted: not blacklisted)
            company_wanted._teleum_auto_leads(company)
            company_wanted._teleum_assign_salespeople(company)
            if settle:
                company_calls._teleum_callbacks(company, self._teleum_pop_pending(company))
            else:
                company_calls._teleum_defer_callbacks(company)
        wanted._teleum_post_notes()  # notes in the leads' and contacts' chatter
        return True

    # ------------------------------------------------------------------ import: returns of missed calls
    @api.model
    def _teleum_returnable_domain(self):
        """Missed calls that count for returns (the *Not returned* filter and menu, the digest).

        Hook: blacklisted callers (the ``blacklisted`` field, when present) are left out."""
        domain = [("missed", "=", True), ("remote_number", "!=", False)]
        if "blacklisted" in self._fields:
            domain.append(("blacklisted", "=", False))
        return domain

    @api.model
    def _teleum_not_returned_domain(self):
        return self._teleum_returnable_domain() + [("callback_call_id", "=", False)]

    @api.model
    def _teleum_returnable_sql(self):
        """The same condition in SQL, over a row of teleum_call (the analysis' triggers)."""
        condition = "missed AND remote_number IS NOT NULL"
        if "blacklisted" in self._fields and self._fields["blacklisted"].store:
            condition += " AND NOT coalesce(blacklisted, false)"
        return condition

    def _teleum_link_returns(self):
        """Give the missed calls that these new calls may return their return and delay.

        The candidates: the new missed calls, and the stored missed calls of the same numbers
        that a new connected call comes before the current return of (or that have none), found
        between it and the connected call before it: a return may arrive in a later sync, on a
        later page or in a resumed import, and an earlier one may arrive after a later one. One
        query finds them with their first later connected call (same number key, same company,
        answered, in either direction); the changes are written grouped by value.
        """
        ids = [call.id for call in select(self, ("remote_number", "call_date"), lambda n, d: n and d)]
        if not ids:
            return
        self.flush_model(["remote_number", "call_date", "status", "missed", "company_id", "callback_call_id"])
        self.env.cr.execute("""
            WITH page AS (SELECT id, company_id, remote_number, call_date, status, missed
                            FROM teleum_call WHERE id = ANY(%(ids)s)),
            candidates AS (
                SELECT id FROM page WHERE missed
                 UNION
                SELECT m.id FROM page c
                  -- a missed call before the previous connected call was returned by it at the latest
             LEFT JOIN LATERAL (SELECT p.call_date FROM teleum_call p
                                 WHERE p.remote_number = c.remote_number AND p.call_date < c.call_date
                                   AND p.company_id = c.company_id AND p.status = 'answered'
                              ORDER BY p.call_date DESC LIMIT 1) prev ON true
                  JOIN teleum_call m ON m.remote_number = c.remote_number AND m.call_date < c.call_date
                                    AND m.call_date > coalesce(prev.call_date, '-infinity')
                                    AND m.company_id = c.company_id AND m.missed
             LEFT JOIN teleum_call r ON r.id = m.callback_call_id
                 WHERE c.status = 'answered' AND (r.id IS NULL OR r.call_date > c.call_date))
            SELECT m.id, m.company_id, m.callback_call_id, m.callback_delay, m.callback_in_target, r.id,
                   extract(epoch FROM r.call_date - m.call_date)::int
              FROM candidates k JOIN teleum_call m ON m.id = k.id
         LEFT JOIN LATERAL (SELECT c.id, c.call_date FROM teleum_call c
                             WHERE c.remote_number = m.remote_number AND c.call_date > m.call_date
                               AND c.company_id = m.company_id AND c.status = 'answered'
                          ORDER BY c.call_date, c.id LIMIT 1) r ON true
        """, {"ids": ids})
        targets = {}  # company id: seconds
        changes = {}  # (return id, delay, in time): missed call ids
        for missed_id, company_id, old_id, old_delay, old_in_time, return_id, delay in self.env.cr.fetchall():
            if company_id not in targets:
                targets[company_id] = self.env["res.company"].browse(company_id).teleum_callback_target * 60
            in_time = bool(return_id) and delay <= targets[company_id]
            new = (return_id or False, delay or 0, in_time)
            if new != (old_id or False, old_delay or 0, bool(old_in_time)):
                changes.setdefault(new, []).append(missed_id)
        Call = self.sudo()
        if changes and not set_based_refusal(Call):
            # nothing but this addon watches calls: one UPDATE (nearly every return is a value of its own)
            rows = [(missed_id, *new) for new, missed_ids in changes.items() for missed_id in missed_ids]
            self.env.cr.execute("""
                UPDATE teleum_call c SET callback_call_id = v.rid, callback_delay = v.delay,
                       callback_in_target = v.in_time, write_uid = %s, write_date = now() AT TIME ZONE 'UTC'
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::bool[]) AS v(id, rid, delay, in_time)
                 WHERE c.id = v.id""", (self.env.uid, [r[0] for r in rows], [r[1] or None for r in rows],
                                        [r[2] for r in rows], [r[3] for r in rows]))
            Call.browse([r[0] for r in rows]).invalidate_recordset(
                ["callback_call_id", "callback_delay", "callback_in_target"], flush=False)
            Call.browse([r[0] for r in rows]).modified(["callback_call_id", "callback_delay", "callback_in_target"])
            return
        for (return_id, delay, in_time), missed_ids in changes.items():
            Call.browse(missed_ids).write({"callback_call_id": return_id, "callback_delay": delay,
                                           "callback_in_target": in_time})

    @api.model
    def _teleum_apply_return_target(self, companies):
        """A company's target changed: its returned calls are in time or not again."""
        for company in companies:
            limit = company.teleum_callback_target * 60
            base = [("company_id", "=", company.id), ("callback_call_id", "!=", False)]
            Call = self.sudo().with_context(active_test=False)
            Call.search(base + [("callback_delay", "<=", limit), ("callback_in_target", "=", False)]).write(
                {"callback_in_target": True})
            Call.search(base + [("callback_delay", ">", limit), ("callback_in_target", "=", True)]).write(
                {"callback_in_target": False})
    def _teleum_assign_salespeople(self, company):
        """A contact, or an open lead, with no salesperson gets the agent of its first answered call
        (``res.company.teleum_assign_salesperson``). A salesperson already there is never replaced.

        Only the calls of the call-back window do it (a first import of months of history changes
        no salesperson), but "first" is over the whole history: one query for the page's callers.
        """
        if not company.teleum_assign_salesperson:
            return
        answered = select(self._teleum_recent(), ("status", "user_id", "partner_id", "lead_id", "direction"),
                          lambda status, user, partner, lead, direction: status == "answered" and user
                          and (partner or lead) and direction != "internal")
        if not answered:
            return
        partners = answered.partner_id.sudo().filtered(lambda p: not p.user_id)
        Lead = self.env["crm.lead"].sudo()
        leads = Lead.search([
            "|", ("id", "in", answered.lead_id.ids), ("partner_id", "in", answered.partner_id.ids),
            ("user_id", "=", False), ("company_id", "in", [False, company.id]),
            "|", ("stage_id", "=", False), ("stage_id.is_won", "=", False),  # open: not won (lost ones are archived)
        ]) if answered.lead_id or answered.partner_id else Lead
        if not partners and not leads:
            return
        # the agent of each caller's first answered call: by contact, else by lead
        self.env["teleum.call"].flush_model(["partner_id", "lead_id", "user_id", "status", "direction",
                                             "blacklisted", "call_date"])
        wanted_partners = set(partners.ids) | set(leads.partner_id.ids)
        wanted_leads = [lead.id for lead in leads if not lead.partner_id]
        self.env.cr.execute(
            """SELECT DISTINCT ON (coalesce(partner_id, 0), CASE WHEN partner_id IS NULL THEN lead_id END)
                      partner_id, lead_id, user_id
                 FROM teleum_call
                WHERE (partner_id = ANY(%(partners)s) OR (partner_id IS NULL AND lead_id = ANY(%(leads)s)))
                  AND company_id = %(company)s AND status = 'answered' AND user_id IS NOT NULL
                  AND direction <> 'internal' AND blacklisted IS NOT TRUE
             ORDER BY coalesce(partner_id, 0), CASE WHEN partner_id IS NULL THEN lead_id END, call_date, id""",
            {"partners": list(wanted_partners), "leads": wanted_leads, "company": company.id})
        by_partner, by_lead = {}, {}
        for partner_id, lead_id, user_id in self.env.cr.fetchall():
            if partner_id:
                by_partner[partner_id] = user_id
            else:
                by_lead[lead_id] = user_id
        groups = {}  # (model, user id): records, one write per salesperson
        for partner in partners:
            if by_partner.get(partner.id):
                groups.setdefault(("res.partner", by_partner[partner.id]), []).append(partner.id)
        for lead in leads:
            user_id = by_partner.get(lead.partner_id.id) if lead.partner_id else by_lead.get(lead.id)
            if user_id:
                groups.setdefault(("crm.lead", user_id), []).append(lead.id)
        for (model, user_id), ids in groups.items():
            self.env[model].sudo().browse(ids).write({"user_id": user_id})

    def _teleum_defer_callbacks(self, company):
        recent = select(self._teleum_recent(), ("missed", "status"),
                        lambda missed, status: missed or status == "answered")
        keys = list(set(recent.mapped("remote_number")))
        if keys:
            self.env.cr.execute(
                """INSERT INTO teleum_callback_pending (company_id, remote_number)
                   SELECT %s, unnest(%s::varchar[]) ON CONFLICT DO NOTHING""", (company.id, keys))

    @api.model
    def _teleum_settle_pending(self, company):
        self.browse()._teleum_callbacks(company, self._teleum_pop_pending(company))

    def _teleum_pop_pending(self, company):
        """The numbers earlier pages left to this one (removed: this page settles them)."""
        self.env.cr.execute("DELETE FROM teleum_callback_pending WHERE company_id = %s RETURNING remote_number",
                            (company.id,))
        return {key for (key,) in self.env.cr.fetchall()}

    def _teleum_recent(self):
        limit = fields.Datetime.now() - CALLBACK_WINDOW
        return select(self, ("call_date",), lambda date: date and date >= limit)

    def _teleum_link_leads(self, company):
        """Calls from a number that matched no contact are linked to the lead with that number."""
        unmatched = select(self, ("partner_id", "lead_id"), lambda partner, lead: not partner and not lead)
        if not unmatched:
            return
        leads = self.env["crm.lead"]._teleum_leads_by_number(set(unmatched.mapped("remote_number")), company)
        for key, lead_id in leads.items():
            unmatched.filtered(lambda c, key=key: c.remote_number == key).lead_id = lead_id

    def _teleum_auto_leads(self, company):
        """One lead per unknown caller of a number that asks for it (team and salesperson of the number)."""
        candidates = select(
            self._teleum_recent(), ("direction", "partner_id", "lead_id", "remote_number"),
            lambda direction, partner, lead, number: direction == "inbound" and not partner and not lead
            and number and len(number) >= 7,
        ).filtered(lambda c: c.number_id.auto_lead)
        if not candidates:
            return
        first = {}
        for call in candidates.sorted("call_date"):
            first.setdefault(call.remote_number, call)
        vals_list = []
        for key, call in first.items():
            number = call.number_id
            vals_list.append({
                "name": _("Call from %(number)s", number="+" + key),
                "phone": "+" + key,
                "team_id": number.lead_team_id.id or False,
                "user_id": number.lead_user_id.id or False,
                "company_id": company.id,
                "medium_id": self.env.ref("utm.utm_medium_phone", raise_if_not_found=False).id or False,
                "description": _("Created from an inbound call to %(number)s on %(date)s.",
                                 number=number.display_name, date=call.call_date_local or call.call_date),
            })
        Lead = self.env["crm.lead"].sudo().with_context(mail_create_nolog=True, tracking_disable=True)
        leads = Lead.create(vals_list)
        for key, lead in zip(first, leads):
            candidates.filtered(lambda c, key=key: c.remote_number == key).lead_id = lead

    def _teleum_callbacks(self, company, deferred=()):
        """A missed inbound call asks for a call-back, once per caller; a later answered call closes it.

        A known caller's call-back is held by their contact or lead (``_teleum_callback_targets``);
        an unknown caller's by the Teleum number they called, marked with their number
        (``mail.activity.teleum_caller_key``) and moved to the contact or lead made for it later.
        A blacklisted number's missed calls ask for none.
        ``deferred``: numbers of earlier pages of this import whose call-backs were left to this one.
        """
        callback = self.env.ref("teleum_telephony.mail_activity_type_call_back", raise_if_not_found=False)
        if not callback:
            return
        recent_missed = select(self._teleum_recent(), ("missed", "blacklisted"),
                               lambda missed, blacklisted: missed and not blacklisted)
        answered = select(self, ("status",), lambda status: status == "answered")
        # Only numbers that may open or close a call-back are worth a look at their history: a
        # recent missed call, or an answered call of a caller with an open call-back. On a first
        # import of old history that is usually none, and nothing is queried.
        keys = set(recent_missed.mapped("remote_number")) | set(deferred)
        if answered:
            known = select(answered, ("partner_id", "lead_id"), lambda partner, lead: partner or lead)
            open_acts = self.env["mail.activity"].sudo().search_read(
                [("activity_type_id", "=", callback.id), "|", "|",
                 "&", ("res_model", "=", "res.partner"), ("res_id", "in", known.partner_id.ids),
                 "&", ("res_model", "=", "crm.lead"), ("res_id", "in", known.lead_id.ids),
                 ("teleum_caller_key", "in", list(set(answered.mapped("remote_number"))))],
                ["res_model", "res_id", "teleum_caller_key"])
            targets = {(a["res_model"], a["res_id"]) for a in open_acts}
            keys |= {a["teleum_caller_key"] for a in open_acts if a["teleum_caller_key"]}
            keys |= {c.remote_number for c in known
                     if ("res.partner", c.partner_id.id) in targets or ("crm.lead", c.lead_id.id) in targets}
        keys = list(keys)
        if not keys:
            return
        # What the whole history says about each number: was the last word a missed call?
        self.env["teleum.call"].flush_model(["remote_number", "call_date", "missed", "status", "company_id",
                                             "blacklisted"])
        # Two short backward walks of the (remote_number, call_date) index per number, rather than
        # aggregating a frequent caller's whole history at every page.
        self.env.cr.execute(
            """SELECT k.key, m.call_date, m.id, a.call_date, a.id
                 FROM unnest(%(keys)s::varchar[]) AS k(key)
            LEFT JOIN LATERAL (SELECT c.id, c.call_date FROM teleum_call c
                                WHERE c.remote_number = k.key AND c.call_date IS NOT NULL
                                  AND c.company_id = %(company)s AND c.missed AND c.blacklisted IS NOT TRUE
                             ORDER BY c.call_date DESC LIMIT 1) m ON true
            LEFT JOIN LATERAL (SELECT c.id, c.call_date FROM teleum_call c
                                WHERE c.remote_number = k.key AND c.call_date IS NOT NULL
                                  AND c.company_id = %(company)s AND c.status = 'answered'
                             ORDER BY c.call_date DESC LIMIT 1) a ON true""",
            {"company": company.id, "keys": keys},
        )
        last, earlier = {}, set()
        for key, missed, missed_id, answered_at, answered_id in self.env.cr.fetchall():
            if missed or answered_at:
                last[key] = (missed, answered_at)
            if key in deferred:  # their calls are on earlier pages: the latest ones stand for them
                earlier.update(i for i in (missed_id, answered_id) if i)
        calls = self | self.browse(earlier)
        recent_missed = calls._teleum_recent().filtered(lambda c: c.missed and not c.blacklisted)
        to_close, to_open = set(), {}
        for key, (missed, answered_at) in last.items():
            if answered_at and (not missed or answered_at > missed):
                to_close.add(key)
        for call in recent_missed.sorted("call_date"):
            missed, _answered = last.get(call.remote_number, (None, None))
            if call.remote_number not in to_close and call.call_date == missed:
                to_open[call.remote_number] = call  # the latest missed call of that caller
        # No "assigned to you" message per call-back (the agent's activities list them; an import
        # of a busy day would post hundreds at ~50 ms each), and any mail goes through the queue.
        Activity = self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True,
                                                                 mail_notify_force_send=False)
        records = calls._teleum_callback_targets()  # key -> (model, res_id)
        wanted = {records[k] for k in set(to_open) | to_close if k in records}
        existing = {}
        if wanted:
            by_model = {}
            for model, res_id in wanted:
                by_model.setdefault(model, []).append(res_id)
            domain = expression.OR([[("res_model", "=", model), ("res_id", "in", ids)]
                                    for model, ids in by_model.items()])
            for act in Activity.search(expression.AND([[("activity_type_id", "=", callback.id)], domain])):
                existing.setdefault((act.res_model, act.res_id), Activity)
                existing[(act.res_model, act.res_id)] |= act
        # the unknown callers' call-backs, held by our numbers: by caller
        by_caller = {}
        for act in Activity.search([("activity_type_id", "=", callback.id), ("res_model", "=", "teleum.number"),
                                    ("teleum_caller_key", "in", list(set(to_open) | to_close))]):
            by_caller[act.teleum_caller_key] = by_caller.get(act.teleum_caller_key, Activity) | act
        # close: the caller was reached
        done = Activity
        for key in to_close:
            done |= existing.get(records.get(key), Activity) | by_caller.get(key, Activity)
        if done:
            done.action_feedback(feedback=_("Done by itself: a later call with this number was answered."))
        # open: one activity per caller, for the agent who should have answered
        vals_list = []
        for key, call in to_open.items():
            target = records.get(key)
            if target:
                if existing.get(target):
                    continue
                holder = self.env[target[0]].sudo().browse(target[1])
            else:  # an unknown caller: on the number they called
                if by_caller.get(key) or not call.number_id:
                    continue
                holder = call.number_id.sudo()
                target = (holder._name, holder.id)
            user = call._teleum_callback_user(holder)
            if not user:
                _logger.debug("Missed call from %s: nobody to call back", key)
                continue
            vals_list.append(call._teleum_callback_values(callback, target, user, key))
            if holder._name == "teleum.number":
                by_caller[key] = True
            else:
                existing[target] = True
        # Odoo subscribes each assignee to each record of a batch, and a batch naming one record
        # twice for one user (two callers of one number) inserts that follower twice: one batch
        # per repetition.
        batches, seen = [], {}
        for vals in vals_list:
            holder = (vals["res_model_id"], vals["res_id"], vals["user_id"])
            seen[holder] = seen.get(holder, -1) + 1
            if seen[holder] == len(batches):
                batches.append([])
            batches[seen[holder]].append(vals)
        for batch in batches:
            Activity.create(batch)

    def _teleum_callback_values(self, callback, target, user, key):
        """The call-back activity of this missed call, held by ``target`` (model, id), for ``user``."""
        self.ensure_one()
        # in the assignee's language and time zone, as the interface shows them the call
        env = self.with_context(lang=user.lang).env
        note = env._("Missed call on %(date)s to %(line)s.",
                     date=format_datetime(env, self.call_date, tz=user.tz or self.account_id.timezone,
                                          dt_format=False, lang_code=user.lang),
                     line=self.number_id.display_name or self.dst or "")
        if target[0] == "teleum.number":  # an unknown caller: the call offers to make them a contact or lead
            note = Markup('<p>%s</p><p><a href="/odoo/teleum.call/%d">%s</a></p>') % (
                note, self.id, env._("Open the call to create a contact or a lead"))
        return {
            "activity_type_id": callback.id,
            "res_model_id": self.env["ir.model"]._get_id(target[0]),
            "res_id": target[1],
            "user_id": user.id,
            "teleum_caller_key": key,
            "summary": env._("Missed call from %(number)s", number=format_phone(key)),
            "note": note,
            "date_deadline": fields.Date.context_today(self),
        }

    @api.model
    def _teleum_adopt_callbacks(self, records):
        """The unknown callers' call-backs held by our numbers move to the contacts or leads
        ``records`` now made for (or given) those numbers: the call-back follows the caller."""
        by_key = {}
        keys = [f for f in ("teleum_phone_key", "teleum_mobile_key") if f in records._fields]
        if "active" in records._fields:
            records = records.filtered("active")
        for record in records.sudo():  # the keys are for internal users; a portal sign-up may get here
            for key in (record[fname] for fname in keys):
                if key:
                    by_key.setdefault(key, record)
        if not by_key:
            return
        callback = self.env.ref("teleum_telephony.mail_activity_type_call_back", raise_if_not_found=False)
        if not callback:
            return
        acts = self.env["mail.activity"].sudo().search([
            ("activity_type_id", "=", callback.id), ("res_model", "=", "teleum.number"),
            ("teleum_caller_key", "in", list(by_key))])
        moves = {}  # record: its callers' call-backs
        for act in acts:
            record = by_key[act.teleum_caller_key]
            moves[record] = moves.get(record, acts.browse()) | act
        for record, moved in moves.items():
            moved.write({"res_model_id": self.env["ir.model"]._get_id(record._name), "res_id": record.id})

    def _teleum_callback_targets(self):
        """{caller's number key: (model, res_id)}: the record that holds each caller's call-back
        activity (the contact, else the lead). Hook: the helpdesk bridge points a caller with an
        open ticket to the ticket. A caller missing here is unknown: their call-back goes to the
        Teleum number they called."""
        records = {}
        for call in self:
            if call.remote_number in records:
                continue
            if call.partner_id:
                records[call.remote_number] = ("res.partner", call.partner_id.id)
            elif call.lead_id:
                records[call.remote_number] = ("crm.lead", call.lead_id.id)
        return records

    def _teleum_callback_user(self, record):
        """Who calls back the caller of this missed call, the activity being held by ``record``: for
        an unknown caller (``record`` is the Teleum number), the number's responsible user, else
        the agent of the line that rang, else the salesperson of the number's automatic leads."""
        if record._name == "teleum.number":
            return record.callback_user_id or self.user_id or record.lead_user_id
        return (self.user_id or record.user_id or
                (record._name == "res.partner" and record.commercial_partner_id.user_id) or
                self.number_id.lead_user_id)

    # ------------------------------------------------------------------ chatter notes

    # ------------------------------------------------------------------ posting
    def _teleum_post_notes(self):
        """Post one note per call on its lead (and contact), as the company's setting says."""
        calls = select(self.sudo(), ("partner_id", "lead_id"), lambda partner, lead: partner or lead)
        calls = calls._teleum_recent()
        noted = calls._teleum_noted_ids()  # a call is noted once (a page's new calls: usually none yet)
        if noted:
            calls = select(calls, ("id",), lambda id_: id_ not in noted)
        notes = []  # (record, call)
        for company in calls.company_id:
            mode = company.teleum_chatter_calls
            if not mode or mode == "off":
                continue
            mine = select(calls, ("company_id", "missed"), lambda company_id, missed, company=company, mode=mode:
                          company_id == company.id and (mode != "missed" or missed))
            leads = mine._teleum_note_leads(company)
            for call in mine.sorted("call_date"):
                if call.id in leads:
                    notes.append((leads[call.id], call))
                if mode in ("leads_contacts", "missed") and call.partner_id:
                    notes.append((call.partner_id, call))
        if notes:
            self._teleum_create_notes(notes)
        return True

    def _teleum_noted_ids(self):
        """The ids of these calls that already left a note (one query, not a read of each call's notes)."""
        if not self:
            return set()
        self.env.cr.execute("SELECT DISTINCT call_id FROM teleum_call_note_rel WHERE call_id = ANY(%s)",
                            (list(self.ids),))
        return {call_id for (call_id,) in self.env.cr.fetchall()}

    def _teleum_note_leads(self, company):
        """{call id: crm.lead}: the call's own lead (unknown caller), else the newest open lead or
        opportunity of its contact (or the contact's company), else one with the caller's number."""
        with_lead = select(self, ("lead_id",), bool)
        result = {call.id: call.lead_id for call in with_lead}
        others = select(self, ("lead_id", "partner_id"), lambda lead, partner: not lead and partner)
        if not others:
            return result
        ancestors = {}  # partner id: itself and the companies above it
        for partner in others.partner_id:
            chain, parent = set(), partner
            while parent and parent.id not in chain:
                chain.add(parent.id)
                parent = parent.parent_id
            ancestors[partner.id] = chain
        family = set().union(*ancestors.values())
        keys = [k for k in set(others.mapped("remote_number")) if k]
        leads = self.env["crm.lead"].sudo().search(
            ["|", ("partner_id", "in", list(family)), "|", ("teleum_phone_key", "in", keys),
             ("teleum_mobile_key", "in", keys), ("company_id", "in", [False, company.id])], order="id desc")
        if not leads:
            return result
        for call in others:
            above = ancestors[call.partner_id.id]
            ranked = []
            for lead in leads:
                if lead.partner_id == call.partner_id:
                    match = 0
                elif lead.partner_id.id in above:
                    match = 1
                elif call.remote_number in (lead.teleum_phone_key, lead.teleum_mobile_key):
                    match = 2
                else:
                    continue
                ranked.append((lead.stage_id.is_won, match, -lead.id, lead))
            if ranked:
                result[call.id] = min(ranked, key=lambda r: r[:3])[3]
        return result

    @api.model
    def _teleum_note_lang(self, record):
        """Notes are written in the language of the person who reads them: the record's salesperson."""
        user = record.user_id if "user_id" in record._fields else self.env["res.users"]
        company = record.company_id if "company_id" in record._fields else self.env.company
        return user.lang or company.partner_id.lang or self.env.lang or "en_US"

    @api.model
    def _teleum_create_notes(self, notes):
        """Create the notes [(record, call)] in one go per model, without notifying anyone."""
        subtype = self.env["ir.model.data"]._xmlid_to_res_id("mail.mt_note")
        bot = self.env.ref("base.partner_root")
        reply_to = {}  # per author: computed once, as _message_log_batch does (else a few queries per note)
        labels = {}  # per language
        by_model = {}
        for record, call in notes:
            author = call.user_id.partner_id or bot
            email_from = author.email_formatted or False
            if author not in reply_to:
                reply_to[author] = self.env["mail.thread"]._notify_get_reply_to(default=email_from)[False]
            lang = self._teleum_note_lang(record)
            if lang not in labels:
                labels[lang] = self.with_context(lang=lang)._teleum_note_labels()
            by_model.setdefault(record._name, []).append((call, {
                "model": record._name,
                "res_id": record.id,
                "body": call._teleum_note_body(labels[lang]),
                "author_id": author.id,
                "email_from": email_from,
                "reply_to": reply_to[author],
                "record_name": False,
                "message_id": generate_tracking_message_id("message-notify"),
                "message_type": "comment",
                "subtype_id": subtype,
                "is_internal": True,
                "date": call.call_date,
                "email_add_signature": False,
            }))
        # mail's own API, so that mail.message's create() (and whatever extends it) sees each
        # note; the note knows its call (teleum_call_ids), written by the same create()
        for model, items in by_model.items():
            self.env[model].sudo()._message_create(
                [dict(vals, teleum_call_ids=[Command.link(call.id)]) for call, vals in items])
        self.invalidate_model(["teleum_note_ids"])

    @api.model
    def _teleum_note_labels(self):
        """The words of the notes in the language of the context (read once per language and batch)."""
        env = self.env
        return {
            "titles": {"inbound": env._("Inbound call"), "outbound": env._("Outbound call"),
                       "internal": env._("Internal call")},
            "call": env._("Call"),
            "missed": env._("Missed call"),
            "statuses": dict(self._fields["status"]._description_selection(env)),
            "agent": env._("agent: %(agent)s"),
            "line": env._("SIP line %(line)s"),
            "play": env._("Play the recording"),
            "open": env._("Open the call"),
            "result": env._("Result: %(result)s"),
            "summary": env._("Summary"),
        }

    def _teleum_note_body(self, labels=None):
        """The note of one call, in the language of the context (or of ``labels``)."""
        self.ensure_one()
        labels = labels or self._teleum_note_labels()
        title = labels["missed"] if self.missed else labels["titles"].get(self.direction, labels["call"])
        details = [format_duration(self.duration), labels["statuses"].get(self.status, "")]
        if self.remote_number:
            details.insert(0, format_phone(self.remote_number))
        if self.user_id:
            details.append(labels["agent"] % {"agent": self.user_id.name})
        elif self.sip_id:
            details.append(labels["line"] % {"line": self.sip_id.num})
        # the call's form has the player: "Play the recording" opens it (a bare audio tab said nothing)
        links = [self._get_html_link(title=labels["play"] if self.recording_id else labels["open"])]
        outcome = [labels["result"] % {"result": self.result_id.with_context(lang=self.env.lang).name}
                   if self.result_id else "", self.note or ""]
        outcome = Markup(" · ").join(o for o in outcome if o)
        body = Markup("<p><b>%s</b> · %s<br/>%s%s</p>") % (
            title, Markup(" · ").join(d for d in details if d),
            Markup("%s<br/>") % outcome if outcome else "", Markup(" · ").join(links))
        return body + self._teleum_note_summary(labels)

    def _teleum_rerender_notes(self):
        """The result or note of these calls changed: their chatter notes say it (mail's API, in the
        language each note was written in)."""
        for call in self.sudo():
            for message in call.teleum_note_ids:
                record = self.env[message.model].sudo().browse(message.res_id).exists()
                if record:
                    lang = self._teleum_note_lang(record)
                    message.write({"body": call.with_context(lang=lang)._teleum_note_body()})

    def _teleum_refresh_notes(self):
        """The recording arrived after the call was noted: give its notes the player link (through
        mail.message's write(); a first import pairs most recordings before noting their calls)."""
        calls = self.sudo().browse(list(self._teleum_noted_ids())).filtered("recording_id")
        records = {}  # (model, id): the noted record, read in one batch per model
        ids_by_model = {}
        for message in calls.teleum_note_ids:
            ids_by_model.setdefault(message.model, set()).add(message.res_id)
        for model, ids in ids_by_model.items():
            records.update({(model, r.id): r for r in self.env[model].sudo().browse(list(ids)).exists()})
        bodies = {}  # message id: body
        rendered = {}  # (call, lang): body
        for call in calls:
            for message in call.teleum_note_ids:
                record = records.get((message.model, message.res_id))
                if record:
                    lang = self._teleum_note_lang(record)
                    if (call.id, lang) not in rendered:
                        rendered[call.id, lang] = call.with_context(lang=lang)._teleum_note_body()
                    bodies[message.id] = rendered[call.id, lang]
        Message = self.env["mail.message"].sudo()
        by_body = {}  # one write() for the notes that get the same body
        for message_id, body in bodies.items():
            by_body.setdefault(body, []).append(message_id)
        for body, message_ids in by_body.items():
            Message.browse(message_ids).write({"body": body})

    # ------------------------------------------------------------------ transcripts
    # A scheduled action (_cron_transcribe) sends each recorded call of a company with a speech
    # service, once, and asks for its summary; refusals stop the company until its settings
    # change, rate limits pause it, other failures retry the call with back-off. The import never
    # waits on any of it. Fields: "transcripts: fields" above; settings: res.company.

    def _teleum_transcript_indexes(self):
        # The scheduled action's "what is left to send", newest first: only the recorded calls not
        # sent yet (or waiting to be sent again) are in it, so that "nothing left" costs nothing.
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_transcript_todo_idx ON teleum_call (company_id, call_date DESC) "
            "WHERE has_recording AND (transcript_state IS NULL OR transcript_state = 'pending')")
        # The retention period's "transcripts older than": only the calls holding one.
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_transcript_kept_idx ON teleum_call (call_date) "
            "WHERE transcript IS NOT NULL")
        # The daily limit's "minutes sent in the last 24 hours": only the calls ever sent.
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_transcript_sent_idx ON teleum_call (transcript_sent_date) "
            "INCLUDE (company_id, duration) WHERE transcript_sent_date IS NOT NULL")

    @api.depends("transcript_summary")
    def _compute_transcript_summary_line(self):
        for call in self:
            call.transcript_summary_line = summary_line(call.transcript_summary) or False

    def _teleum_note_summary(self, labels):
        """The summary's paragraph of the call's chatter note (nothing until there is one)."""
        if not self.transcript_summary:
            return Markup()
        lines = [line.strip() for line in self.transcript_summary.splitlines() if line.strip()]
        return Markup('<p class="o_teleum_note_summary"><i>%s:</i> %s</p>') % (
            labels.get("summary") or self.env._("Summary"), Markup("<br/>").join(lines))

    def _teleum_summary_language(self, company):
        """The language a summary is written in: the agent's, else the company's (its English name)."""
        code = self.user_id.lang or company.partner_id.lang or self.env.lang or "en_US"
        lang = self.env["res.lang"]._lang_get(code)
        return lang.name if lang else "English"

    @api.model
    def _cron_transcribe(self):
        """Scheduled action: transcripts (and summaries) of the recorded calls, company by company."""
        if self.env["teleum.account"]._is_neutralized():
            return True
        cron = self.env["ir.cron"]
        done = remaining = 0
        for company in self.env["res.company"].sudo().search([("teleum_stt_url", "!=", False)]):
            try:
                company_done, company_left = self._teleum_transcribe_company(company)
            except Exception:  # one company's bug must not block the others
                _logger.exception("Transcripts of company %s crashed", company.id)
                self.env["teleum.account"]._rollback()
                continue
            done, remaining = done + company_done, remaining + company_left
        cron._notify_progress(done=done, remaining=remaining)
        return True

    @api.model
    def _teleum_transcript_todo(self, company, now):
        """The domain of the company's recorded calls waiting to be sent (short ones included)."""
        domain = [("company_id", "=", company.id), ("has_recording", "=", True),
                  ("transcript_state", "in", [False, "pending"]),
                  "|", ("transcript_retry_at", "=", False), ("transcript_retry_at", "<=", now)]
        if company.teleum_stt_since:
            domain.append(("call_date", ">=", datetime.combine(company.teleum_stt_since, time.min)))
        return domain

    @api.model
    def _teleum_transcribe_company(self, company, batch=TRANSCRIPT_BATCH):
        """Send up to ``batch`` of the company's waiting recordings; (calls handled, calls left
        for an immediate next run: 0 when the company is stopped, paused or at its daily limit)."""
        company = company.sudo()
        Account = self.env["teleum.account"]
        self.sudo()._teleum_purge_transcripts(company)
        Account._commit()
        now = fields.Datetime.now()
        if company.teleum_stt_stopped or (company.teleum_stt_paused_until and company.teleum_stt_paused_until > now):
            return 0, 0
        if not company.teleum_stt_since:  # a URL given some other way than write(): from today on, as there
            company.teleum_stt_since = fields.Date.context_today(company)
        Call = self.sudo()
        todo = self._teleum_transcript_todo(company, now)
        short = Call.search(todo + [("duration", "<", company.teleum_stt_min_seconds)], limit=5000)
        if short:
            short.write({"transcript_state": "skipped", "transcript_error": False})
            Account._commit()
        todo.append(("duration", ">=", company.teleum_stt_min_seconds))
        budget = None  # seconds of recordings that may still be sent in these 24 hours
        if company.teleum_stt_daily_minutes > 0:
            [(sent,)] = Call._read_group([("company_id", "=", company.id),
                                          ("transcript_sent_date", ">", now - timedelta(days=1))], [], ["duration:sum"])
            budget = company.teleum_stt_daily_minutes * 60 - (sent or 0)
        try:
            client = company._teleum_speech_client()
        except SpeechError as exc:  # a URL that is no URL
            company._teleum_stt_refused(exc)
            return 0, 0
        done, in_a_row, stop = 0, 0, False
        with client:
            for call in Call.search(todo, order="call_date desc, id desc", limit=batch):
                if budget is not None and call.duration > budget and not call.transcript:
                    _logger.info("Transcripts of company %s: the daily limit of %s minutes is reached", company.id,
                                 company.teleum_stt_daily_minutes)
                    stop = True
                    break
                sent_before = call.transcript_sent_date
                outcome = call._teleum_transcribe(client, company)
                Account._commit()
                done += 1
                if budget is not None and call.transcript_sent_date != sent_before:
                    budget -= call.duration
                in_a_row = in_a_row + 1 if outcome == "retry" else 0
                if outcome == "stop" or in_a_row >= TRANSCRIPT_FAILURES_IN_A_ROW:
                    stop = True
                    break
        return done, 0 if stop else Call.search_count(todo)

    def _teleum_transcribe(self, client, company):
        """Transcribe this call's recording, then summarise it; what happened: 'done', 'retry'
        (tried again later), 'failed' (given up), or 'stop' (the company is stopped or paused).

        The transcript is committed as soon as it is there: the recording is never sent again
        for its summary, which has its own request."""
        self.ensure_one()
        call = self.sudo()
        if not call.transcript:
            try:
                audio = call._teleum_transcript_audio()
            except (TeleumError, UserError) as exc:
                text = getattr(exc, "message", None) or str(exc.args[0] if exc.args else exc)
                return call._teleum_transcript_retry(_("The recording could not be fetched from Teleum: %(error)s",
                                                       error=text))
            if not audio:
                call.write({"transcript_state": "failed", "transcript_error": _("The recording is empty.")})
                return "failed"
            try:
                result = client.transcribe(audio, "%s.mp3" % call.recording_id.file_id,
                                           model=company.teleum_stt_model or "whisper-1",
                                           language=request_language(company.teleum_stt_language))
            except SpeechError as exc:
                return call._teleum_transcript_failed(exc, company, sent=isinstance(exc, SpeechTransientError))
            call.write({
                "transcript": result.text or False,
                "transcript_segments": segments_value(result.segments),
                "transcript_state": "pending" if company.teleum_summary_model and result.text else "done",
                "transcript_error": False, "transcript_attempts": 0, "transcript_retry_at": False,
                "transcript_sent_date": fields.Datetime.now(),
            })
            self.env["teleum.account"]._commit()
        if not (company.teleum_summary_model and call.transcript):
            return "done"
        try:
            summary = client.summarize(call.transcript, model=company.teleum_summary_model,
                                       language=call._teleum_summary_language(company))
        except SpeechError as exc:
            return call._teleum_transcript_failed(exc, company)
        call.write({"transcript_summary": summary or False, "transcript_state": "done", "transcript_error": False,
                    "transcript_attempts": 0, "transcript_retry_at": False})
        call._teleum_rerender_notes()
        return "done"

    def _teleum_transcript_audio(self):
        """The recording's bytes: Odoo's copy, else a fresh link from Teleum."""
        recording = self.recording_id.sudo()
        if recording.attachment_id:
            return recording.attachment_id.raw
        account = recording.account_id
        return account._download_recording(account._get_client(), recording.file_id)

    def _teleum_transcript_failed(self, exc, company, sent=False):
        """What a speech-service failure does to this call and its company (see speech_api.errors)."""
        if isinstance(exc, SpeechRateLimitError):
            # nothing processed: the call is not counted as tried, the company waits
            wait = timedelta(seconds=exc.retry_after) if exc.retry_after else RATE_LIMIT_PAUSE
            company.write({"teleum_stt_paused_until": fields.Datetime.now() + wait})
            _logger.info("Transcripts of company %s paused for %s: rate limited", company.id, wait)
            return "stop"
        text = company._teleum_stt_error_text(exc)
        if isinstance(exc, SpeechAudioError):
            self.write({"transcript_state": "failed", "transcript_error": text})
            return "failed"
        if not exc.retryable:  # refused (key, model, URL): stop until the settings change
            company._teleum_stt_refused(exc)
            return "stop"
        return self._teleum_transcript_retry(text, exc.retry_after, sent=sent)

    def _teleum_transcript_retry(self, text, retry_after=None, sent=False):
        """Try again later (each time longer), or give up after MAX_ATTEMPTS."""
        attempts = self.transcript_attempts + 1
        vals = {"transcript_attempts": attempts, "transcript_error": text}
        if sent:  # a timeout or a 5xx may have been processed (and billed): it counts for the daily limit
            vals["transcript_sent_date"] = fields.Datetime.now()
        if attempts >= MAX_ATTEMPTS:
            vals.update(transcript_state="failed", transcript_retry_at=False)
        else:
            vals.update(transcript_state="pending",
                        transcript_retry_at=fields.Datetime.now() + retry_delay(attempts, retry_after))
        _logger.info("Transcript of call %s: attempt %d failed: %s", self.id, attempts, text)
        self.write(vals)
        return "retry"

    def _teleum_erase_transcripts(self):
        """Empty the transcripts and summaries of these calls (and take the summaries out of their
        chatter notes); their recordings are not sent (again)."""
        calls = self.sudo().filtered(lambda c: c.transcript or c.transcript_summary or c.transcript_segments
                                     or (c.has_recording and c.transcript_state != "erased"))
        if calls:
            calls.write({"transcript": False, "transcript_segments": False, "transcript_summary": False,
                         "transcript_state": "erased", "transcript_error": False, "transcript_retry_at": False})
            calls._teleum_rerender_notes()
        return calls

    @api.model
    def _teleum_purge_transcripts(self, company):
        """The company's retention period: transcripts of older calls emptied."""
        days = company.teleum_stt_retention_days
        if days <= 0:
            return self.browse()
        old = self.sudo().search([("company_id", "=", company.id), ("transcript", "!=", False),
                                  ("call_date", "<", fields.Datetime.now() - timedelta(days=days))])
        erased = old._teleum_erase_transcripts()
        if erased:
            _logger.info("Company %s: %d transcripts past retention emptied", company.id, len(erased))
        return erased
