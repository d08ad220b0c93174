"""The rows of a call listing made records: identity, matching, and one INSERT per page.

Teleum gives calls no id. A call is identified by its fingerprint (date, numbers, duration,
status, description) plus its occurrence: the n-th identical row of a month's listing is
occurrence n. Re-reading a month therefore finds every row already stored (nothing is created
twice), while two identical rows in one answer stay two calls. `_import_rows()` stores the rows
of one page that are new (`_store_calls()`: one set-based INSERT, or `create()`), then hands them
to the follow-up step (`_after_import()`, teleum_call_followup.py). Which pages to read is the
pager's job (teleum_call_import.py).
"""

import hashlib
import json
import logging

import pytz

from odoo import api, models

from ..tools import normalize_phone
from ..tools.columns import select
from ..tools.sql_create import insert_columns, sql_create
from .teleum_call import TeleumCall

_logger = logging.getLogger(__name__)


class TeleumCallStore(models.Model):
    _inherit = "teleum.call"

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
        tail = {TeleumCallStore._fingerprint(r, month) for r in rows if r.call_date_local == last_date}
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
        "_compute_missed": lambda vals: dict(zip(("missed", "missed_rate"), TeleumCall._missed_values(
            vals.get("direction"), vals.get("status")))),
        "_compute_has_recording": lambda vals: {"has_recording": bool(vals.get("recording_id"))},
    }

    @api.model
    def _store_calls(self, vals_list, orm=False):
        """Store one page of new calls: ``create()``, or one INSERT for the whole page.

        The INSERT (tools/sql_create.py) leaves every row as ``create()`` would (defaults, stored
        computed fields, log columns, constraints, the company check, other models' dependent
        fields) — a test stores the same page both ways and compares the rows — in a fraction of
        its time: create() computes ``missed`` after the INSERT and writes the rows a second time.
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
        # a caller who is no contact but a lead: linked in the INSERT (_teleum_link_leads would
        # write each such call a second time after it)
        unknown = {v["remote_number"] for v in vals_list if v["remote_number"] and not v["partner_id"]}
        leads = self.env["crm.lead"]._teleum_leads_by_number(unknown, account.company_id) if unknown else {}
        for vals in vals_list:
            if not vals["partner_id"] and vals["remote_number"] in leads:
                vals["lead_id"] = leads[vals["remote_number"]]
