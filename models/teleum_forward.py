"""Call forwards: the model and its mirror of Teleum (getForwards, getForwardTimes).

Its other jobs live beside it: validation in teleum_forward_check.py, the write-through (create,
edit, delete on Teleum first) in teleum_forward_write.py, the order in teleum_forward_order.py, a
customer's routing (who answers) in teleum_forward_routing.py.
"""

from odoo import _, api, fields, models
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)
WEEKDAYS = {
    1: _lt("Monday"), 2: _lt("Tuesday"), 3: _lt("Wednesday"), 4: _lt("Thursday"), 5: _lt("Friday"),
    6: _lt("Saturday"), 7: _lt("Sunday"),
}


class TeleumForward(models.Model):
    _name = "teleum.forward"
    _inherit = ["teleum.binding.mixin", "teleum.write.through.mixin", "mail.thread"]
    _description = "Teleum Call Forward"
    _order = "number_id, sequence, id"

    number_id = fields.Many2one("teleum.number", required=True, ondelete="cascade", index=True,
                                check_company=True, tracking=True)
    # an order and a ring time mean nothing added up: no sum in grouped lists
    sequence = fields.Integer(default=100, aggregator=None,
                              help="Order in which Teleum tries the forwards of a number.")
    type_id = fields.Many2one("teleum.forward.type", "Type", required=True, check_company=True, tracking=True)
    type_kind = fields.Selection(related="type_id.kind")
    target = fields.Char(required=True, tracking=True,
                         help="A SIP line number, a phone number or an e-mail, depending on the type.")
    timeout = fields.Integer(default=20, tracking=True, aggregator=None,
                             help="Seconds to ring before the next forward (5-30).")
    callerid_type_id = fields.Many2one("teleum.callerid.type", "Caller ID", check_company=True, tracking=True)
    callerid_is_own = fields.Boolean(related="callerid_type_id.is_own")
    callerid_number_id = fields.Many2one("teleum.number", "Caller ID number", check_company=True, tracking=True)
    record = fields.Boolean("Record calls", tracking=True)
    moh = fields.Boolean("Music on hold", tracking=True)
    vpbx = fields.Boolean("Virtual PBX number")
    isolated = fields.Boolean("Only inside this account", help="SIP forwards only.")
    schedule = fields.Json("Schedule windows", readonly=True, help="Teleum's schedule windows (dowjs2).")
    schedule_text = fields.Char("Schedule", compute="_compute_schedule_text")
    teleum_times = fields.Char("Schedule (Teleum)", readonly=True)
    sip_id = fields.Many2one("teleum.sip", compute="_compute_sip_id", store=True, index=True,
                             string="SIP line")

    @api.depends("target", "type_id.kind", "account_id")
    def _compute_sip_id(self):
        # one query for the whole batch (a config sync computes every forward at once)
        sip_fwds = self.filtered(lambda f: f.type_id.kind == "sip" and f.target)
        sips = self.env["teleum.sip"].search([("account_id", "in", sip_fwds.account_id.ids),
                                             ("num", "in", list(set(sip_fwds.mapped("target"))))])
        by_key = {}
        for sip in reversed(sips):  # the first in search order wins, as search(limit=1) did
            by_key[(sip.account_id.id, sip.num)] = sip
        for rec in self:
            rec.sip_id = by_key.get((rec.account_id.id, rec.target), False) if rec in sip_fwds else False

    @api.depends("schedule")
    def _compute_schedule_text(self):
        for rec in self:
            rec.schedule_text = rec._schedule_words(rec.schedule) or rec.teleum_times or _("Always")

    @api.model
    def _schedule_words(self, windows):
        if not windows:
            return ""
        parts = []
        for w in windows:
            d1, d2 = w.get("day_from"), w.get("day_to")
            first, last = str(WEEKDAYS.get(d1, "?")), str(WEEKDAYS.get(d2, "?"))
            days = first if d1 == d2 else "%s-%s" % (first, last)
            parts.append("%s %s-%s" % (days, w.get("start", ""), w.get("end", "")))
        return "; ".join(parts)

    @api.depends("number_id", "type_id", "target")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for rec in self:
            rec.display_name = "%s → %s" % (rec.type_id.display_name or "", rec.target or "")

    # ------------------------------------------------------------------ read side
    @api.model
    def _values_from_teleum(self, account, fwd, number, types, cids, numbers):
        return {
            "number_id": number.id,
            "sequence": fwd.sequence,
            "type_id": types.get(fwd.type_id, self.env["teleum.forward.type"]).id,
            "target": fwd.target or "",
            "timeout": fwd.timeout or 0,
            "callerid_type_id": cids.get(fwd.callerid_type_id, self.env["teleum.callerid.type"]).id,
            "callerid_number_id": numbers.get(fwd.callerid_number_id, self.env["teleum.number"]).id,
            "record": fwd.record,
            "moh": fwd.moh,
            "vpbx": fwd.vpbx,
            "schedule": [
                {"day_from": w.day_from, "day_to": w.day_to, "start": w.start.strftime("%H:%M"),
                 "end": w.end.strftime("%H:%M")} for w in fwd.schedule
            ] or False,
            "teleum_times": fwd.schedule_text or False,
        }

    @api.model
    def _lookups(self, account):
        def by_tid(model):
            recs = self.env[model].with_context(active_test=False).search([("account_id", "=", account.id)])
            return {r.teleum_id: r for r in recs if r.teleum_id}
        return by_tid("teleum.forward.type"), by_tid("teleum.callerid.type"), by_tid("teleum.number")

    @api.model
    def _sync_from_teleum(self, account, client):
        numbers = self.env["teleum.number"].search([("account_id", "=", account.id), ("teleum_id", "!=", False)])
        items = {}
        lookups = self._lookups(account)
        for number in numbers:
            items.update(self._read_number(account, client, number, lookups))
        return self._bind(account, items)

    @api.model
    def _read_number(self, account, client, number, lookups):
        types, cids, nums = lookups
        items = {}
        for fwd in client.get_forwards(number.teleum_id):
            if fwd.deleted:  # Teleum keeps deleted forwards for a while: not active ones
                continue
            vals = self._values_from_teleum(account, fwd, number, types, cids, nums)
            if not vals["schedule"] and not vals["teleum_times"]:
                # no schedule in getForwards' answer (dowjs2 missing): ask getForwardTimes
                vals["schedule"] = [
                    {"day_from": t.day_from, "day_to": t.day_to, "start": t.start.strftime("%H:%M"),
                     "end": t.end.strftime("%H:%M")} for t in client.get_forward_times(fwd.id)
                ] or False
            items[fwd.id] = vals
        return items

    @api.model
    def _sync_number(self, number, client):
        """Re-read one number's forwards (after a write): Odoo shows what Teleum confirms."""
        items = self._read_number(number.account_id, client, number, self._lookups(number.account_id))
        return self._bind(number.account_id, items, domain=[("number_id", "=", number.id)])
