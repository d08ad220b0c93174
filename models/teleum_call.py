"""Call detail records: the fields, the indexes that serve the screens, display and actions.

The import has files of its own: teleum_call_import.py walks Teleum's monthly listings page
by page (on the account, which keeps the cursor), teleum_call_store.py makes a page's rows
records (a call's identity without an id: fingerprint and occurrence) and
teleum_call_followup.py links leads and opens or closes call-backs after each page.
"""

import re
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from ..tools import format_phone, normalize_phone

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
    duration = fields.Integer("Duration (s)", readonly=True, aggregator="avg")
    billsec = fields.Char("Billed time (mm:ss)", readonly=True,
                          help="Talk time Teleum bills, as Teleum writes it (billsec); in seconds: Duration (s).")
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
    partner_id = fields.Many2one("res.partner", "Contact")  # indexed with the date in init()
    recording_id = fields.Many2one("teleum.recording", "Recording", readonly=True)
    has_recording = fields.Boolean(compute="_compute_has_recording", store=True)
    fingerprint = fields.Char(required=True, readonly=True)
    occurrence = fields.Integer(required=True, default=1, readonly=True, aggregator=None)
    listing_month = fields.Char("Report month", readonly=True,
                                help="The month of Teleum's report this row came in (YYYY-MM).")
    parse_error = fields.Char(readonly=True, help="Why this row of Teleum's report could not be read.")
    raw = fields.Text("Teleum row", readonly=True, help="Kept for rows that could not be read.")
    missed = fields.Boolean(compute="_compute_missed", store=True)  # partial index in init()
    missed_rate = fields.Float("Missed (%)", compute="_compute_missed", store=True, aggregator="avg",
                               help="100 for a missed inbound call, 0 otherwise: its average over inbound "
                                    "calls is the missed rate.")
    # a lead's calls are found by its numbers; this index serves deleting or merging leads (SET NULL)
    lead_id = fields.Many2one("crm.lead", "Lead", index="btree_not_null", readonly=True,
                              help="The lead of a caller who is not a contact (matched on its phone numbers).")

    _sql_constraints = [
        # a call's identity; also the import's "already stored?" lookup of each page
        ("call_uniq", "unique(account_id, fingerprint, occurrence)", "This call is already imported."),
    ]

    # Indexes of earlier versions that no query needs any more (Odoo keeps an index whose field
    # lost ``index``): dropped on update so that every import stops paying for them.
    _OBSOLETE_INDEXES = (*(f"teleum_call__{name}_index" for name in (
        "account_id", "company_id", "status", "direction", "number_id", "sip_id", "user_id", "partner_id",
        "recording_id", "missed", "call_date")), "teleum_call_partner_date_idx")

    def init(self):
        cr = self.env.cr
        for name in self._OBSOLETE_INDEXES:
            cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
        # The number's index was a btree under the name Odoo gives the trigram one: dropped here,
        # Odoo makes the trigram index after init() (it keeps any index of that name as it is).
        cr.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'teleum_call__remote_number_index'")
        if "gin_trgm_ops" not in ((cr.fetchone() or [""])[0]):
            cr.execute("DROP INDEX IF EXISTS teleum_call__remote_number_index")
        # Every screen query carries the multi-company rule (company_id IN …): the indexes below
        # INCLUDE company_id so that counts (the list's pager, a contact's button) are read from
        # the index alone, without a visit to each call's row.
        # The list's order (newest first), the date filters, the 30-day pivot and graph (whose
        # groupings and measures are included: read from the index), recordings linking.
        cr.execute(
            "CREATE INDEX IF NOT EXISTS teleum_call_date_idx ON teleum_call (call_date) "
            "INCLUDE (company_id, user_id, status, duration, missed_rate)"
        )
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
        """(missed, missed_rate) of a call: the compute, shared with the set-based import."""
        missed = direction == "inbound" and status in ("no_answer", "busy", "failed")
        return missed, 100.0 if missed else 0.0

    @api.depends("status", "direction")
    def _compute_missed(self):
        for call in self:
            call.missed, call.missed_rate = self._missed_values(call.direction, call.status)

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

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """Groups by agent or contact (pivot, graph, grouped list) are counted first, named after.

        Odoo orders such groups by name in SQL: it joins the agent and their partner to every
        call and sorts them all before counting (0.2 s for a month of a busy account). Here SQL
        orders the groups by id and the few groups are sorted by name afterwards.
        """
        groupbys = [groupby] if isinstance(groupby, str) else list(groupby or ())
        levels = groupbys[:1] if lazy else groupbys
        types = [getattr(self._fields.get(g), "type", None) for g in levels]
        if ("many2one" not in types or orderby or limit or offset
                or any(t not in ("many2one", "selection", "char") for t in types)):
            return super().read_group(domain, fields, groupby, offset=offset, limit=limit, orderby=orderby, lazy=lazy)
        order = ",".join(f"{g}:max" if t == "many2one" else g for g, t in zip(levels, types))
        groups = super().read_group(domain, fields, groupby, orderby=order, lazy=lazy)

        def key(value, many2one):  # NULL groups last, as PostgreSQL sorts them ascending
            if many2one:
                return (not value, (value[1] or "").casefold() if value else "")
            return (not value, value or "")

        return sorted(groups, key=lambda group: tuple(
            key(group.get(g), t == "many2one") for g, t in zip(levels, types)))

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
