"""What follows the import of a page of calls: leads, automatic leads and call-back activities.

`_after_import()` runs on the calls a page brought (teleum_call_store.py): calls from a number
known as a lead are linked to it, an unknown caller of a number that asks for it gets a lead,
and a missed call asks for one call-back per caller, closed by a later answered call. The pages
of one import before the last leave their callers' call-backs in `teleum.callback.pending`, for
the page that ends the listing to settle at once. Hooks that bridges override (`_after_import`,
`_teleum_callbacks`…) keep their names and signatures.
"""

import logging

from odoo import _, api, fields, models
from odoo.osv import expression
from odoo.tools import format_datetime

from ..tools import format_phone
from ..tools.columns import select
from .teleum_call import CALLBACK_WINDOW

_logger = logging.getLogger(__name__)


class TeleumCallFollowup(models.Model):
    _inherit = "teleum.call"

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
        companies = self.company_id
        for company in companies:
            company_calls = calls if len(companies) == 1 else select(
                calls, ("company_id",), lambda company_id, company=company: company_id == company.id)
            company_calls._teleum_link_leads(company)
            company_calls._teleum_auto_leads(company)
            if settle:
                company_calls._teleum_callbacks(company, self._teleum_pop_pending(company))
            else:
                company_calls._teleum_defer_callbacks(company)
        calls._teleum_post_notes()  # notes in the leads' and contacts' chatter: teleum_call_chatter.py
        return True

    def _teleum_defer_callbacks(self, company):
        recent = select(self._teleum_recent(), ("missed", "status", "partner_id", "lead_id"),
                        lambda missed, status, partner, lead: missed or (status == "answered" and (partner or lead)))
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

        ``deferred``: numbers of earlier pages of this import whose call-backs were left to this one.
        """
        callback = self.env.ref("teleum_telephony.mail_activity_type_call_back", raise_if_not_found=False)
        if not callback:
            return
        recent_missed = select(self._teleum_recent(), ("missed",), bool)
        answered = select(self, ("status", "partner_id", "lead_id"),
                          lambda status, partner, lead: status == "answered" and (partner or lead))
        # Only numbers that may open or close a call-back are worth a look at their history: a
        # recent missed call, or an answered call of a contact/lead with an open call-back. On a
        # first import of old history that is usually none, and nothing is queried.
        keys = set(recent_missed.mapped("remote_number")) | set(deferred)
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
        # Two short backward walks of the (remote_number, call_date) index per number, rather than
        # aggregating a frequent caller's whole history at every page.
        self.env.cr.execute(
            """SELECT k.key, m.call_date, m.id, a.call_date, a.id
                 FROM unnest(%(keys)s::varchar[]) AS k(key)
            LEFT JOIN LATERAL (SELECT c.id, c.call_date FROM teleum_call c
                                WHERE c.remote_number = k.key AND c.call_date IS NOT NULL
                                  AND c.company_id = %(company)s AND c.missed
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
        recent_missed = calls._teleum_recent().filtered("missed")
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
            # in the assignee's language and time zone, as the interface shows them the call
            env = self.with_context(lang=user.lang).env
            vals_list.append({
                "activity_type_id": callback.id,
                "res_model_id": self.env["ir.model"]._get_id(target[0]),
                "res_id": target[1],
                "user_id": user.id,
                "summary": env._("Missed call from %(number)s", number=format_phone(key)),
                "note": env._("Missed call on %(date)s to %(line)s.",
                              date=format_datetime(env, call.call_date, tz=user.tz or call.account_id.timezone,
                                                   dt_format=False, lang_code=user.lang),
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


class TeleumCallbackPending(models.Model):
    """Callers whose call-backs an import left to its last page (see ``TeleumCallFollowup._after_import``)."""

    _name = "teleum.callback.pending"
    _description = "Teleum call-back to settle"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    remote_number = fields.Char("Number", required=True)

    _sql_constraints = [
        ("key_uniq", "unique(company_id, remote_number)", "A number waits once per company."),
    ]
