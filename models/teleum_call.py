"""Call detail records.

Teleum gives calls no id. A call is identified by its fingerprint (date, numbers, duration,
status, description) plus its occurrence: the n-th identical row of a month's listing is
occurrence n. Re-reading a month therefore finds every row already stored (nothing is created
twice), while two identical rows in one answer stay two calls.
"""

import hashlib
import json
import logging
import re
from datetime import timedelta

import pytz

from odoo import _, api, fields, models
from odoo.osv import expression
from odoo.tools import SQL, format_datetime

from ..tools import format_phone, normalize_phone

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
    def _import_rows(self, account, rows, carry, ctx, month=None, last_page=True):
        """Store the rows of one page that are not stored yet. ``carry`` counts occurrences.

        ``last_page``: the page ends the month's listing. The call-backs of earlier pages wait
        for it (see ``_after_import``), so it settles them even when it brings nothing new.
        """
        if not rows:
            if last_page:
                self._teleum_settle_pending(account.company_id)
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
            if last_page:
                self._teleum_settle_pending(account.company_id)
            return self.browse()
        listing = month.strftime("%Y-%m") if month else False
        vals_list = [dict(self._values_from_row(account, fp, occ, row, ctx), listing_month=listing)
                     for fp, occ, row in new]
        self._match_partners(vals_list, account)
        calls = self._store_calls(vals_list)
        errors = calls.filtered("parse_error")
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
        "_compute_missed": lambda vals: dict(zip(("missed", "missed_rate"), TeleumCall._missed_values(
            vals.get("direction"), vals.get("status")))),
        "_compute_has_recording": lambda vals: {"has_recording": bool(vals.get("recording_id"))},
    }

    @api.model
    def _store_calls(self, vals_list, orm=False):
        """Store one page of new calls: ``create()``, or one INSERT for the whole page.

        The INSERT leaves every row as ``create()`` would (defaults, stored computed fields,
        log columns, constraints, the company check, other models' dependent fields) — a test
        stores the same page both ways and compares the rows — in a fraction of its time:
        create() computes ``missed`` after the INSERT and writes the rows a second time.
        """
        columns = None if orm else self._sql_insert_columns(vals_list)
        if columns is None:
            return self.create(vals_list)
        self.check_access("create")
        self.flush_model()
        cr = self.env.cr
        now = cr.now()
        computed = [fn for fn, field in columns["fields"].items() if field.compute]
        methods = list(dict.fromkeys(self._fields[fn].compute for fn in computed))
        rows = []
        for vals in vals_list:
            row = dict(columns["defaults"], **vals)
            for method in methods:
                row.update(self._SQL_COMPUTES[method](row))
            rows.append(row)
        fields_ = list(columns["fields"].items())
        log = (self.env.uid, now, self.env.uid, now)
        # a field neither given nor defaulted is left NULL, as create() leaves it
        values = [tuple(self._sql_value(field, row[fname]) if fname in row else None for fname, field in fields_)
                  + log for row in rows]
        names = [fname for fname, _field in fields_] + ["create_uid", "create_date", "write_uid", "write_date"]
        # one multi-row INSERT, each row rendered by psycopg2 in C (what create() composes in Python)
        returned = cr.execute_values(
            "INSERT INTO teleum_call (%s) VALUES %%s RETURNING id" % ", ".join(f'"{n}"' for n in names),
            values, page_size=len(values), fetch=True)
        calls = self.browse([r[0] for r in returned])
        stored = list(columns["fields"])
        # What create() does after its INSERT, minus the cache: recompute what depends on the new
        # rows elsewhere (nothing computed here: those values were inserted), one2many caches of
        # the records they point to, constraints, the company check.
        with self.env.protecting([self._fields[fn] for fn in computed], calls):
            calls.modified(stored, create=True)
        for fname in stored:
            for inverse in self.pool.field_inverses[self._fields[fname]]:
                self.env[inverse.model_name].invalidate_model([inverse.name])
        calls._validate_fields(stored)
        if self._check_company_auto:
            calls._check_company()
        return calls

    @api.model
    def _sql_insert_columns(self, vals_list):
        """The columns of a set-based insert of ``vals_list``, or None when only create() will do."""
        stored = {fn: f for fn, f in self._fields.items()
                  if f.store and f.column_type and fn not in models.MAGIC_COLUMNS}
        if any(f.compute and f.compute not in self._SQL_COMPUTES for f in stored.values()):
            return None
        given = set().union(*vals_list)
        if not given <= set(stored) or any(f.type in ("one2many", "many2many", "properties") for f in stored.values()):
            return None
        missing = [fn for fn, f in stored.items() if not f.compute and any(fn not in v for v in vals_list)]
        return {"fields": stored, "defaults": self.default_get(missing) if missing else {}}

    @staticmethod
    def _sql_value(field, value):
        """A value as create() writes it to the column (False is NULL, except for numbers and booleans)."""
        if field.type == "boolean":
            return bool(value)
        if field.type == "integer":
            return int(value or 0)
        if field.type in ("float", "monetary"):
            return float(value or 0.0)
        return None if value is False or value is None else value

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
        calls = self.filtered(lambda c: c.remote_number and c.call_date)
        for company in self.company_id:
            company_calls = calls.filtered(lambda c, company=company: c.company_id == company)
            company_calls._teleum_link_leads(company)
            company_calls._teleum_auto_leads(company)
            if settle:
                company_calls._teleum_callbacks(company, self._teleum_pop_pending(company))
            else:
                company_calls._teleum_defer_callbacks(company)
        calls._teleum_post_notes()  # notes in the leads' and contacts' chatter: teleum_call_chatter.py
        return True

    def _teleum_defer_callbacks(self, company):
        recent = self._teleum_recent().filtered(lambda c: c.missed or (
            c.status == "answered" and (c.partner_id or c.lead_id)))
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

    def _teleum_callbacks(self, company, deferred=()):
        """A missed inbound call asks for a call-back, once per caller; a later answered call closes it.

        ``deferred``: numbers of earlier pages of this import whose call-backs were left to this one.
        """
        callback = self.env.ref("teleum_telephony.mail_activity_type_call_back", raise_if_not_found=False)
        if not callback:
            return
        recent_missed = self._teleum_recent().filtered("missed")
        answered = self.filtered(lambda c: c.status == "answered" and (c.partner_id or c.lead_id))
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


class TeleumCallbackPending(models.Model):
    """Callers whose call-backs an import left to its last page (see ``TeleumCall._after_import``)."""

    _name = "teleum.callback.pending"
    _description = "Teleum call-back to settle"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    remote_number = fields.Char("Number", required=True)

    _sql_constraints = [
        ("key_uniq", "unique(company_id, remote_number)", "A number waits once per company."),
    ]
