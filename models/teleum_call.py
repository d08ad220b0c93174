"""Call detail records.

Teleum gives calls no id. A call is identified by its fingerprint (date, numbers, duration,
status, description) plus its occurrence: the n-th identical row of a month's listing is
occurrence n. Re-reading a month therefore finds every row already stored (nothing is created
twice), while two identical rows in one answer stay two calls.
"""

import hashlib
import json
import logging
from datetime import timedelta

import pytz

from odoo import _, api, fields, models
from odoo.osv import expression

from ..tools import normalize_phone

_logger = logging.getLogger(__name__)

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


class TeleumCall(models.Model):
    _name = "teleum.call"
    _description = "Teleum Call"
    _order = "call_date desc, id desc"
    _check_company_auto = True
    _rec_name = "remote_number"

    account_id = fields.Many2one("teleum.account", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    call_date = fields.Datetime("Date", index=True, readonly=True)
    call_date_local = fields.Char("Date (Teleum)", readonly=True,
                                  help="The date as Teleum wrote it, in the account's time zone.")
    src = fields.Char("From", readonly=True)
    dst = fields.Char("To", readonly=True)
    duration = fields.Integer("Duration (s)", readonly=True, aggregator="avg")
    billsec = fields.Char("Duration", readonly=True)
    disposition = fields.Char("Teleum status", readonly=True)
    status = fields.Selection(STATUSES, required=True, default="other", readonly=True, index=True)
    direction = fields.Selection(DIRECTIONS, readonly=True, index=True)
    rdr = fields.Char("Description", readonly=True, help="Teleum's description of the call (forwards…).")
    remote_number = fields.Char("Other party", index=True, readonly=True,
                                help="The outside number of the call, normalised (E.164 digits).")
    number_id = fields.Many2one("teleum.number", "Teleum number", index="btree_not_null", readonly=True)
    sip_id = fields.Many2one("teleum.sip", "SIP line", index="btree_not_null", readonly=True)
    user_id = fields.Many2one("res.users", "Agent", index="btree_not_null")
    partner_id = fields.Many2one("res.partner", "Contact", index="btree_not_null")
    recording_id = fields.Many2one("teleum.recording", "Recording", index="btree_not_null", readonly=True)
    has_recording = fields.Boolean(compute="_compute_has_recording", store=True)
    fingerprint = fields.Char(required=True, readonly=True)
    occurrence = fields.Integer(required=True, default=1, readonly=True)
    listing_month = fields.Char("Report month", readonly=True,
                                help="The month of Teleum's report this row came in (YYYY-MM).")
    parse_error = fields.Char(readonly=True, help="Why this row of Teleum's report could not be read.")
    raw = fields.Text("Teleum row", readonly=True, help="Kept for rows that could not be read.")
    missed = fields.Boolean(compute="_compute_missed", store=True, index=True)
    missed_rate = fields.Float("Missed (%)", compute="_compute_missed", store=True, aggregator="avg",
                               help="100 for a missed inbound call, 0 otherwise: its average over inbound "
                                    "calls is the missed rate.")
    lead_id = fields.Many2one("crm.lead", "Lead", index="btree_not_null", readonly=True,
                              help="The lead of a caller who is not a contact (matched on its phone numbers).")

    _sql_constraints = [
        ("call_uniq", "unique(account_id, fingerprint, occurrence)", "This call is already imported."),
    ]

    def init(self):
        # The contact's call list is read newest first: one index serves the count and the page.
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_partner_date_idx ON teleum_call "
            "(partner_id, call_date DESC) WHERE partner_id IS NOT NULL"
        )
        # counted for every month at every sync, to tell an unchanged month
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_account_month_idx ON teleum_call (account_id, listing_month)"
        )

    @api.depends("recording_id")
    def _compute_has_recording(self):
        for call in self:
            call.has_recording = bool(call.recording_id)

    @api.depends("status", "direction")
    def _compute_missed(self):
        for call in self:
            call.missed = call.direction == "inbound" and call.status in ("no_answer", "busy", "failed")
            call.missed_rate = 100.0 if call.missed else 0.0

    @api.depends("remote_number", "call_date")
    def _compute_display_name(self):
        for call in self:
            number = call.remote_number or call.src or ""
            date = call.call_date and fields.Datetime.context_timestamp(call, call.call_date)
            call.display_name = "%s %s" % (number and "+" + number if len(number) > 6 else number,
                                           (date and date.strftime("%Y-%m-%d %H:%M")) or "")

    # ------------------------------------------------------------------ import
    @staticmethod
    def _fingerprint(call, month=None):
        """Identity of a row without an id. An unreadable row is known by its raw data and the
        month whose listing it came in (its own date may be what is unreadable)."""
        if call.error:
            basis = "%s\x1f%s" % (month, json.dumps(call.raw, sort_keys=True, default=str))
        else:
            basis = "\x1f".join(str(v) for v in (call.call_date_local, call.src, call.dst, call.duration,
                                                 call.disposition, call.rdr))
        return hashlib.sha1(basis.encode()).hexdigest()

    @staticmethod
    def _carry_to_store(carry, rows, month=None):
        """The occurrence counts a resumed run needs: rows identical to the next page's first
        ones share the last date of this page (the report is ordered by date)."""
        if not rows:
            return carry or False
        last_date = rows[-1].call_date_local
        tail = {TeleumCall._fingerprint(r, month) for r in rows if r.call_date_local == last_date}
        return {fp: n for fp, n in carry.items() if fp in tail} or False

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
        }

    def _key(self, number, ctx):
        return normalize_phone(number, *ctx["country"]) if number else ""

    @api.model
    def _import_rows(self, account, rows, carry, ctx, month=None):
        """Store the rows of one page that are not stored yet. ``carry`` counts occurrences."""
        if not rows:
            return self.browse()
        keyed = []
        for row in rows:
            fp = self._fingerprint(row, month)
            carry[fp] = carry.get(fp, 0) + 1
            keyed.append((fp, carry[fp], row))
        self.env.cr.execute(
            "SELECT fingerprint, occurrence FROM teleum_call WHERE account_id = %s AND fingerprint = ANY(%s)",
            (account.id, list({fp for fp, _o, _r in keyed})),
        )
        known = set(self.env.cr.fetchall())
        new = [(fp, occ, row) for fp, occ, row in keyed if (fp, occ) not in known]
        if not new:
            return self.browse()
        listing = month.strftime("%Y-%m") if month else False
        vals_list = [dict(self._values_from_row(account, fp, occ, row, ctx), listing_month=listing)
                     for fp, occ, row in new]
        self._match_partners(vals_list, account)
        calls = self.create(vals_list)
        errors = calls.filtered("parse_error")
        if errors:
            _logger.warning("Teleum account %s: %d call rows could not be read and were kept as-is",
                            account.id, len(errors))
        calls._after_import()
        return calls

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
            "fingerprint": fp,
            "occurrence": occ,
            "parse_error": row.error or False,
            "raw": json.dumps(row.raw, ensure_ascii=False, default=str) if row.error else False,
        }

    @api.model
    def _match_partners(self, vals_list, account):
        keys = {v["remote_number"] for v in vals_list if v["remote_number"]}
        if not keys:
            return
        partners = self.env["res.partner"]._teleum_partners_by_number(keys, account.company_id)
        for vals in vals_list:
            vals["partner_id"] = partners.get(vals["remote_number"], False)

    def _after_import(self):
        """Hook run on the calls just imported (one page): leads, automatic leads, call-backs.

        Set-based: a handful of queries per page whatever its size. Only calls of the last
        ``CALLBACK_WINDOW`` create leads or activities, so that importing months of history on
        the first sync does not flood the salespeople with call-backs from last quarter.
        """
        calls = self.filtered(lambda c: c.remote_number and c.call_date)
        if not calls:
            return True
        for company in calls.company_id:
            company_calls = calls.filtered(lambda c, company=company: c.company_id == company)
            company_calls._teleum_link_leads(company)
            company_calls._teleum_auto_leads(company)
            company_calls._teleum_callbacks(company)
        return True

    def _teleum_recent(self):
        limit = fields.Datetime.now() - CALLBACK_WINDOW
        return self.filtered(lambda c: c.call_date >= limit)

    def _teleum_link_leads(self, company):
        """Calls from a number that matched no contact are linked to the lead with that number."""
        unmatched = self.filtered(lambda c: not c.partner_id and not c.lead_id)
        if not unmatched:
            return
        leads = self.env["crm.lead"]._teleum_leads_by_number(set(unmatched.mapped("remote_number")), company)
        for key, lead_id in leads.items():
            unmatched.filtered(lambda c, key=key: c.remote_number == key).lead_id = lead_id

    def _teleum_auto_leads(self, company):
        """One lead per unknown caller of a number that asks for it (team and salesperson of the number)."""
        candidates = self._teleum_recent().filtered(
            lambda c: c.direction == "inbound" and not c.partner_id and not c.lead_id
            and c.number_id.auto_lead and len(c.remote_number) >= 7
        )
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

    def _teleum_callbacks(self, company):
        """A missed inbound call asks for a call-back, once per caller; a later answered call closes it."""
        callback = self.env.ref("teleum_telephony.mail_activity_type_call_back", raise_if_not_found=False)
        if not callback:
            return
        recent_missed = self._teleum_recent().filtered("missed")
        answered = self.filtered(lambda c: c.status == "answered" and (c.partner_id or c.lead_id))
        # Only numbers that may open or close a call-back are worth a look at their history: a
        # recent missed call, or an answered call of a contact/lead with an open call-back. On a
        # first import of old history that is usually none, and nothing is queried.
        keys = set(recent_missed.mapped("remote_number"))
        if answered:
            open_acts = self.env["mail.activity"].sudo().search_read(
                [("activity_type_id", "=", callback.id), "|",
                 "&", ("res_model", "=", "res.partner"), ("res_id", "in", answered.partner_id.ids),
                 "&", ("res_model", "=", "crm.lead"), ("res_id", "in", answered.lead_id.ids)],
                ["res_model", "res_id"])
            targets = {(a["res_model"], a["res_id"]) for a in open_acts}
            keys |= {c.remote_number for c in answered
                     if ("res.partner", c.partner_id.id) in targets or ("crm.lead", c.lead_id.id) in targets}
        keys = list(keys)
        if not keys:
            return
        # What the whole history says about each number: was the last word a missed call?
        self.env["teleum.call"].flush_model(["remote_number", "call_date", "missed", "status", "company_id"])
        self.env.cr.execute(
            """SELECT remote_number,
                      max(call_date) FILTER (WHERE missed),
                      max(call_date) FILTER (WHERE status = 'answered')
                 FROM teleum_call
                WHERE company_id = %s AND remote_number = ANY(%s)
             GROUP BY remote_number""",
            (company.id, keys),
        )
        last = {key: (missed, answered) for key, missed, answered in self.env.cr.fetchall()}
        to_close, to_open = set(), {}
        for key, (missed, answered_at) in last.items():
            if answered_at and (not missed or answered_at > missed):
                to_close.add(key)
        for call in recent_missed.sorted("call_date"):
            missed, _answered = last.get(call.remote_number, (None, None))
            if call.remote_number not in to_close and call.call_date == missed:
                to_open[call.remote_number] = call  # the latest missed call of that caller
        Activity = self.env["mail.activity"].sudo()
        records = self._teleum_callback_targets()  # key -> (model, res_id)
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
        # close: the caller was reached
        done = Activity
        for key in to_close:
            done |= existing.get(records.get(key), Activity)
        if done:
            done.action_feedback(feedback=_("Done by itself: a later call with this number was answered."))
        # open: one activity per caller, for the agent who should have answered
        vals_list = []
        for key, call in to_open.items():
            target = records.get(key)
            if not target or existing.get(target):
                continue
            user = call._teleum_callback_user(self.env[target[0]].sudo().browse(target[1]))
            if not user:
                _logger.debug("Missed call from %s: nobody to call back", key)
                continue
            vals_list.append({
                "activity_type_id": callback.id,
                "res_model_id": self.env["ir.model"]._get_id(target[0]),
                "res_id": target[1],
                "user_id": user.id,
                "summary": _("Missed call from %(number)s", number="+" + key),
                "note": _("Missed call on %(date)s to %(line)s.", date=call.call_date_local or call.call_date,
                          line=call.number_id.display_name or call.dst or ""),
                "date_deadline": fields.Date.context_today(self),
            })
            existing[target] = True
        if vals_list:
            Activity.create(vals_list)

    def _teleum_callback_targets(self):
        """{caller's number key: (model, res_id)}: the record that holds each caller's call-back
        activity (the contact, else the lead). Hook: the helpdesk bridge points a caller with an
        open ticket to the ticket."""
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
        """Who calls back the caller of this missed call, the activity being held by ``record``."""
        return (self.user_id or record.user_id or
                (record._name == "res.partner" and record.commercial_partner_id.user_id) or
                self.number_id.lead_user_id)

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

    recording_url = fields.Char(compute="_compute_recording_url",
                                help="Address of the recording through Odoo (Teleum's link never reaches the browser).")

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
