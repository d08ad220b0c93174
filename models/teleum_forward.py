"""Call forwards (``teleum.forward``): the model and its mirror of Teleum (getForwards,
getForwardTimes), in sections:

- checks: what a user typed, checked before anything is sent to Teleum;
- write-through (teleum.write.through.mixin): create, edit, delete on Teleum first;
- order: their order on Teleum (moveForward), from a drag in a list, the arrows or a wizard;
- routing: which forwards were set up for a customer or lead ("Route calls to an agent"), who
  each forward rings, and the one-line summary shown on contact and lead forms.
"""

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools.translate import LazyTranslate

from ..teleum_api import TeleumError, TeleumTransientError
from ..tools import bare_email, format_phone, phone_target
from .teleum_forward_type import FORWARD_TYPE_LABELS

_lt = LazyTranslate(__name__)

WEEKDAYS = {
    1: _lt("Monday"), 2: _lt("Tuesday"), 3: _lt("Wednesday"), 4: _lt("Thursday"), 5: _lt("Friday"),
    6: _lt("Saturday"), 7: _lt("Sunday"),
}

# Fields a user sets that go to Teleum (editForward); the others are Odoo's own (partner_id...).
TELEUM_FIELDS = frozenset({"number_id", "type_id", "target", "timeout", "callerid_type_id", "callerid_number_id",
                           "record", "moh", "vpbx", "isolated"})

# Fields compared with a fresh read before a change: if Teleum has other values, someone else changed it.
CONFLICT_FIELDS = ("type_id", "target", "timeout", "callerid_type_id", "callerid_number_id", "record", "moh",
                   "vpbx")


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

    partner_id = fields.Many2one("res.partner", "Customer", index=True, check_company=True,
                                 help="The customer whose calls this forward routes (set by 'Route calls to an "
                                      "agent' on the customer's form).")
    lead_id = fields.Many2one("crm.lead", "Lead", index="btree_not_null", check_company=True,
                              help="The lead this forward was routed from ('Route calls to an agent').")
    rings_label = fields.Char("Rings", compute="_compute_rings_label",
                              help="Who this forward rings: the agent of a SIP line, a user or contact with "
                                   "that phone number, or the target itself.")

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

    # ------------------------------------------------------------------ checks
    @api.model
    def _teleum_check_values(self, number, values):
        """Validate the complete forward ``values`` (records, not ids) and return the editForward
        arguments. Raises a translated ValidationError before anything is sent."""
        account = number.account_id
        if not number.teleum_id:
            raise ValidationError(_("Teleum has not given an id to %(number)s yet: read the numbers "
                                    "from Teleum first.", number=number.display_name))
        ftype = values["type_id"]
        if not ftype:
            raise ValidationError(_("Choose the type of the forward."))
        for label, rec in ((_("type"), ftype), (_("caller ID"), values["callerid_type_id"]),
                           (_("caller ID number"), values["callerid_number_id"])):
            if rec and rec.account_id != account:
                raise ValidationError(_("The %(what)s of a forward must come from the same Teleum account "
                                        "as its number.", what=label))
        timeout = values["timeout"]
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 5 <= timeout <= 30:
            raise ValidationError(_("The timeout of a forward must be between 5 and 30 seconds "
                                    "(got %(timeout)s).", timeout=timeout))
        target = (values["target"] or "").strip()
        if not target:
            raise ValidationError(_("Enter where the forward rings (a SIP line, a phone number or an e-mail)."))
        kind = ftype.kind
        if kind == "sip":
            sip = self.env["teleum.sip"].search([("account_id", "=", account.id), ("num", "=", target)], limit=1)
            if not sip:
                raise ValidationError(_("%(target)s is not a SIP line of this account. Choose one of: "
                                        "%(lines)s.", target=target, lines=", ".join(
                                            self.env["teleum.sip"].search([("account_id", "=", account.id)])
                                            .mapped("num")) or _("(none)")))
        elif kind == "phone":
            target = phone_target(self.env, target, account.company_id.country_id)
        elif kind == "email":
            normalized = bare_email(target)
            if not normalized:
                raise ValidationError(_("%(target)s is not a valid e-mail address (answering machine and "
                                        "fax forwards send to an e-mail).", target=target))
            target = normalized
        cid = values["callerid_type_id"]
        if not cid:
            raise ValidationError(_("Choose how the caller ID is presented."))
        cnum = values["callerid_number_id"]
        if cid.is_own:
            if not cnum:
                raise ValidationError(_("The caller ID mode '%(mode)s' presents one of your numbers: "
                                        "choose which.", mode=cid.display_name))
            if not cnum.teleum_id:
                raise ValidationError(_("Teleum has not given an id to %(number)s yet.",
                                        number=cnum.display_name))
        return {
            "type_id": ftype.teleum_id, "number_id": number.teleum_id, "timeout": timeout,
            "callerid_type_id": cid.teleum_id, "target": target,
            "callerid_number_id": cnum.teleum_id if cid.is_own else None,
            "isolated": bool(values["isolated"]) and kind == "sip", "record": bool(values["record"]),
            "vpbx": bool(values["vpbx"]), "moh": bool(values["moh"]),
        }

    def _teleum_current_values(self):
        self.ensure_one()
        return {f: self[f] for f in ("type_id", "target", "timeout", "callerid_type_id", "callerid_number_id",
                                     "record", "moh", "vpbx", "isolated")}

    @api.model
    def _teleum_values_from_vals(self, vals, base=None):
        """Merge ORM ``vals`` (ids) into ``base`` (records) for validation."""
        values = dict(base or {
            "type_id": self.env["teleum.forward.type"], "target": "", "timeout": 20,
            "callerid_type_id": self.env["teleum.callerid.type"], "callerid_number_id": self.env["teleum.number"],
            "record": False, "moh": False, "vpbx": False, "isolated": False,
        })
        for fname, value in vals.items():
            if fname not in values:
                continue
            field = self._fields[fname]
            if field.type == "many2one":
                value = self.env[field.comodel_name].browse(value or [])
                if value:
                    value.check_access("read")
            values[fname] = value
        return values

    # ------------------------------------------------------------------ write-through
    _teleum_fields = TELEUM_FIELDS
    _teleum_locked_fields = ("teleum_id", "schedule", "teleum_times", "active", "account_id")

    @api.model
    def _teleum_fresh(self, client, number):
        """Live forwards of ``number`` on Teleum now, in their order: [Forward]."""
        return sorted((f for f in client.get_forwards(number.teleum_id) if not f.deleted),
                      key=lambda f: (f.sequence, int(f.id) if f.id.isdigit() else 0))

    @api.model
    def _teleum_read_live(self, client, number):
        return self._teleum_fresh(client, number)

    @api.model
    def _teleum_lost_reply_hint(self, number):
        return _("Use 'Read forwards from Teleum' on %(number)s later to see what Teleum has.",
                 number=number.display_name)

    def _teleum_locked_message(self, field_label):
        return _("%(field)s of a forward is set by Teleum and cannot be changed here.", field=field_label)

    def _teleum_locked_unchanged(self, fname, value):
        return fname == "account_id" and all(r.account_id.id == value for r in self)

    def _teleum_pop_deferred(self, vals):
        # the order is sent once for all the forwards a drag moved (see the order section)
        return {"sequence": vals.pop("sequence")} if "sequence" in vals else {}

    def _teleum_write_deferred(self, deferred):
        self._teleum_sequence_changed(deferred["sequence"])

    def _teleum_describe(self, fwd):
        """One Teleum forward in words (for messages)."""
        label = FORWARD_TYPE_LABELS.get((fwd.type_name or "").strip().lower())
        return _("%(type)s → %(target)s, %(timeout)s s", type=self.env._(label) if label else (
            fwd.type_name or fwd.type_id), target=fwd.target, timeout=fwd.timeout)

    @api.model
    def _teleum_create(self, vals):
        number = self.env["teleum.number"].browse(vals.get("number_id"))
        if not number:
            raise ValidationError(_("Choose the number the forward belongs to."))
        number.check_access("read")
        account = number.account_id
        values = self._teleum_values_from_vals(vals)
        if not values["callerid_type_id"]:
            values["callerid_type_id"] = self.env["teleum.callerid.type"].search(
                [("account_id", "=", account.id), ("is_own", "=", False)], limit=1)
        args = self._teleum_check_values(number, values)
        client = account._get_client()
        known = {f.id for f in self._teleum_read_current(client, number, account)}
        try:
            fid = client.edit_forward(0, **args)
        except TeleumTransientError:
            fresh = self._teleum_reread_after_loss(client, number, number.account_id)
            new = [f for f in fresh if f.id not in known and f.type_id == args["type_id"]
                   and f.target == args["target"]]
            if not new:
                raise UserError(_("Teleum did not confirm the new forward to %(target)s, and it does not list it: "
                                  "it was not created (and not sent again). Try again.",
                                  target=args["target"])) from None
            fid = new[-1].id
        except TeleumError as exc:
            self._teleum_raise(account, exc)
        self._sync_number(number, client)
        rec = self.search([("account_id", "=", account.id), ("teleum_id", "=", fid)], limit=1)
        if not rec:
            raise UserError(_("Teleum accepted the forward (id %(id)s) but does not list it on %(number)s.",
                              id=fid, number=number.display_name))
        local = {k: v for k, v in vals.items() if k not in TELEUM_FIELDS and k in self._fields
                 and k not in ("sequence", "account_id", "teleum_id", "schedule", "teleum_times", "active")
                 and self._fields[k].store and not self._fields[k].compute and not self._fields[k].related}
        if args["isolated"]:
            local["isolated"] = True
        if local:
            rec.with_context(teleum_sync=True).write(local)
        text = _("Forward created on Teleum: %(forward)s.", forward=rec.display_name)
        number._message_log(body=text)
        self._teleum_confirm(text)
        if "sequence" in vals:
            rec._teleum_sequence_changed(vals["sequence"])
        return rec

    def _teleum_edit(self, vals):
        self.ensure_one()
        number, account = self.number_id, self.account_id
        client = account._get_client()
        new_number = number
        if "number_id" in vals and vals["number_id"] != number.id:
            new_number = self.env["teleum.number"].browse(vals["number_id"])
            new_number.check_access("read")
        values = self._teleum_values_from_vals(vals, self._teleum_current_values())
        if values["callerid_number_id"] and not values["callerid_type_id"].is_own:
            values["callerid_number_id"] = self.env["teleum.number"]
        args = self._teleum_check_values(new_number, values)
        fresh = self._teleum_read_current(client, number, account)
        self._teleum_check_unchanged(fresh, number)
        old_text = self.display_name
        shown = [f for f in vals if f in self._fields]
        before = {f: self._teleum_value_text(f) for f in shown}
        try:
            client.edit_forward(self.teleum_id, **args)
        except TeleumTransientError:
            fresh = self._teleum_reread_after_loss(client, new_number, new_number.account_id)
            now = next((f for f in fresh if f.id == self.teleum_id), None)
            done = now and (now.type_id, now.target, now.timeout, now.callerid_type_id, now.record) == (
                args["type_id"], args["target"], args["timeout"], args["callerid_type_id"], args["record"])
            if not done:
                raise UserError(_("Teleum did not confirm the change of forward %(forward)s and still has: "
                                  "%(teleum)s. Nothing was sent again; try again.", forward=old_text,
                                  teleum=self._teleum_describe(now) if now else _("no such forward"))) from None
        except TeleumError as exc:
            self._teleum_raise(account, exc)
        self._sync_number(number, client)
        if new_number != number:
            self._sync_number(new_number, client)
        if "isolated" in vals:
            self.with_context(teleum_sync=True).write({"isolated": args["isolated"]})
        # each changed field with its old and new value, as Teleum confirmed it
        changes = "; ".join("%s: %s → %s" % (self._fields[f]._description_string(self.env), before[f], after)
                            for f in shown if (after := self._teleum_value_text(f)) != before[f])
        text = _("Forward changed on Teleum: %(forward)s (%(changes)s).", forward=self.display_name,
                 changes=changes or _("no change"))
        new_number._message_log(body=text)
        self._teleum_confirm(text)

    def _teleum_value_text(self, fname):
        """The value of ``fname`` in words, for the chatter."""
        value = self[fname]
        field = self._fields[fname]
        if field.type == "many2one":
            return value.display_name or "—"
        if field.type == "boolean":
            return _("Yes") if value else _("No")
        if fname == "timeout":
            return _("%(seconds)s s", seconds=value)
        return str(value) if value not in (False, None, "") else "—"

    def _teleum_check_unchanged(self, fresh, number):
        """Optimistic concurrency: Teleum must still have what Odoo showed the user."""
        self.ensure_one()
        now = next((f for f in fresh if f.id == self.teleum_id), None)
        if now is None:
            raise UserError(_("The forward %(forward)s was deleted on Teleum meanwhile. Nothing was sent: use "
                              "'Read forwards from Teleum' on %(number)s to see the current forwards.",
                              forward=self.display_name, number=number.display_name))
        mirrored = self._values_from_teleum(self.account_id, now, number, *self._lookups(self.account_id))
        diffs = [self._fields[f]._description_string(self.env) for f in CONFLICT_FIELDS
                 if self._differs(self, f, mirrored[f])]
        if diffs:
            raise UserError(_("The forward %(forward)s was changed by someone else meanwhile (%(fields)s); Teleum "
                              "now has: %(teleum)s. Nothing was sent: reload (or use 'Read forwards from "
                              "Teleum') and make your change again.", forward=self.display_name,
                              fields=", ".join(diffs), teleum=self._teleum_describe(now)))

    def _teleum_delete(self):
        self.ensure_one()
        number, account = self.number_id, self.account_id
        client = account._get_client()
        text = self.display_name
        try:
            live = {f.id for f in self._teleum_fresh(client, number)}
            if self.teleum_id in live:
                client.delete_forward(self.teleum_id)
        except TeleumTransientError:
            fresh = self._teleum_reread_after_loss(client, number, number.account_id)
            if self.teleum_id in {f.id for f in fresh}:
                raise UserError(_("Teleum did not confirm the deletion of %(forward)s and still lists it. Nothing "
                                  "was sent again; try again.", forward=text)) from None
        except TeleumError as exc:
            self._teleum_raise(account, exc)
        self._sync_number(number, client)
        number._message_log(body=_("Forward deleted on Teleum: %(forward)s.", forward=text))
        self._teleum_confirm(_("Forward deleted on Teleum: %(forward)s.", forward=text))

    # ------------------------------------------------------------------ order
    def _teleum_sequence_changed(self, sequence):
        """A user set ``sequence``: note the wanted position and reorder Teleum once, at the end of the
        transaction (a drag in a list writes the records one by one)."""
        data = self.env.cr.precommit.data.setdefault("teleum.forward.order", {})
        for rec in self:
            entry = data.get(rec.number_id.id)
            if entry is None:
                before = self.search([("number_id", "=", rec.number_id.id)])
                entry = data[rec.number_id.id] = {"before": before.mapped("teleum_id"), "wanted": {}}
            entry["wanted"][rec.id] = sequence
        self.with_context(teleum_sync=True).write({"sequence": sequence})
        if not self.env.cr.precommit.data.get("teleum.forward.order.queued"):
            self.env.cr.precommit.data["teleum.forward.order.queued"] = True
            self.env.cr.precommit.add(self.browse()._teleum_flush_order)

    def _teleum_flush_order(self):
        data = self.env.cr.precommit.data.pop("teleum.forward.order", {})
        self.env.cr.precommit.data.pop("teleum.forward.order.queued", None)
        for number_id, entry in data.items():
            number = self.env["teleum.number"].browse(number_id).exists()
            if not number:
                continue
            forwards = self.search([("number_id", "=", number.id)])
            wanted = sorted(forwards, key=lambda f: (entry["wanted"].get(f.id, f.sequence), f.id))
            self._teleum_apply_order(number, [f.teleum_id for f in wanted], entry["before"])
        self.env.flush_all()

    @api.model
    def _teleum_moves(self, current, wanted):
        """The moveForward calls (id, 'up') that turn ``current`` into ``wanted`` (adjacent swaps)."""
        current, moves = list(current), []
        for i, tid in enumerate(wanted):
            j = current.index(tid)
            while j > i:
                moves.append((tid, "up"))
                current[j - 1], current[j] = current[j], current[j - 1]
                j -= 1
        return moves

    @api.model
    def _teleum_apply_order(self, number, wanted, before=None):
        """Send the moves that give ``number``'s forwards the order ``wanted`` (Teleum ids), then re-read.

        ``before``: the order Odoo showed (Teleum ids); if Teleum's order differs, someone else reordered
        meanwhile and nothing is sent."""
        account = number.account_id
        client = account._get_client()
        fresh = self._teleum_read_current(client, number, account)
        current = [f.id for f in fresh]
        # what Odoo showed vs what Teleum has now, on the forwards both know
        shown = [t for t in (before or []) if t in current]
        teleum = [t for t in current if t in shown]
        if set(current) != set(wanted) or shown != teleum:
            self._sync_number(number, client)
            raise UserError(_("The forwards of %(number)s were changed on Teleum meanwhile. Nothing was sent: "
                              "reload and reorder them again.", number=number.display_name))
        moves = self._teleum_moves(current, wanted)
        if not moves:
            return False
        try:
            for tid, direction in moves:
                client.move_forward(tid, direction)
        except TeleumTransientError:
            fresh = self._teleum_reread_after_loss(client, number, number.account_id)
            if [f.id for f in fresh] != wanted:
                raise UserError(_("Teleum did not confirm a move of the forwards of %(number)s; its order is now: "
                                  "%(order)s. Nothing was sent again; try again.", number=number.display_name,
                                  order="; ".join(self._teleum_describe(f) for f in fresh))) from None
        except TeleumError as exc:
            self._teleum_raise(account, exc)
        self._sync_number(number, client)
        fresh = self._teleum_fresh(client, number)
        if [f.id for f in fresh] != wanted:
            raise UserError(_("Teleum did not take the new order of the forwards of %(number)s.",
                              number=number.display_name))
        text = _("Order of the forwards changed on Teleum: %(order)s.",
                 order="; ".join(self._teleum_describe(f) for f in fresh))
        number._message_log(body=text)
        self._teleum_confirm(text)
        return True

    def _teleum_place(self, position):
        """Put this forward at ``position`` on Teleum and in Odoo (public helper, e.g. for the CRM wizard).

        - ``'first'``: Teleum tries it before all the other forwards of its number;
        - ``'last'``: after the others that ring, before any that ends the chain (answering machine,
          fax, e-mail), which would never let it ring;
        - ``'replace'``: it stays the only forward of its number: the others are deleted on Teleum.

        Each change is sent to Teleum, read back, and written on the number's chatter.
        """
        self.ensure_one()
        self.check_access("write")
        if position not in ("first", "last", "replace"):
            raise ValueError("position must be 'first', 'last' or 'replace'")
        number = self.number_id
        if position == "replace":
            others = self.search([("number_id", "=", number.id), ("id", "!=", self.id)])
            others.unlink()
            return True
        current = self.search([("number_id", "=", number.id)])
        rest = current - self
        index = self._teleum_position_index(rest, position)
        wanted = rest[:index].mapped("teleum_id") + [self.teleum_id] + rest[index:].mapped("teleum_id")
        return self._teleum_apply_order(number, wanted, current.mapped("teleum_id"))

    @api.model
    def _teleum_position_index(self, chain, position):
        """Where a forward goes among ``chain`` (a number's other forwards, in order): first, or
        after the last that rings, before the first that ends the chain (answering machine, fax,
        e-mail: Teleum tries nothing after it)."""
        if position == "first":
            return 0
        ends = [i for i, forward in enumerate(chain) if forward.type_kind == "email"]
        return ends[0] if ends else len(chain)

    def action_move_up(self):
        return self._teleum_move_step(-1)

    def action_move_down(self):
        return self._teleum_move_step(1)

    def _teleum_move_step(self, step):
        self.ensure_one()
        self.check_access("write")
        current = self.search([("number_id", "=", self.number_id.id)]).mapped("teleum_id")
        i = current.index(self.teleum_id)
        j = i + step
        if 0 <= j < len(current):
            wanted = list(current)
            wanted[i], wanted[j] = wanted[j], wanted[i]
            self._teleum_apply_order(self.number_id, wanted, current)
        return True

    # ------------------------------------------------------------------ routing

    @api.depends("target", "type_id.kind", "sip_id.user_id")
    def _compute_rings_label(self):
        phones = {f.target for f in self if f.type_id.kind == "phone" and f.target}
        people = {}
        if phones:
            # a name says more than a number; an Odoo user's contact wins over a customer's, then the oldest
            partners = self.env["res.partner"].search(
                ["|", ("teleum_mobile_key", "in", list(phones)), ("teleum_phone_key", "in", list(phones))])
            for partner in partners.sorted(lambda p: (not p.user_ids, p.id), reverse=True):
                for key in {partner.teleum_mobile_key, partner.teleum_phone_key} & phones:
                    people[key] = partner
        for rec in self:
            kind = rec.type_id.kind
            if kind == "sip":
                user = rec.sip_id.user_id
                rec.rings_label = (_("%(agent)s (SIP %(line)s)", agent=user.name, line=rec.target) if user
                                   else _("SIP %(line)s", line=rec.target))
            elif kind == "phone" and rec.target in people:
                rec.rings_label = _("%(name)s (%(number)s)", name=people[rec.target].name,
                                    number=format_phone(rec.target))
            elif kind == "phone":
                rec.rings_label = format_phone(rec.target)
            else:
                rec.rings_label = rec.display_name

    def action_teleum_remove(self):
        """Remove this forward from its number (on Teleum first), e.g. from a customer's form."""
        self.unlink()
        return True

    @api.model
    def _teleum_routing_forwards(self, partner=None, lead=None):
        """The forwards of the numbers that matter to a customer, in Teleum's order: the numbers
        routed from the customer's (or lead's) form and the number the customer last called."""
        if not self.has_access("read") or not (partner or lead):
            return self.browse()
        domain = []
        if partner:
            domain.append([("partner_id", "child_of", partner.id)])
        if lead:
            domain.append([("lead_id", "=", lead.id)])
        calls = (lead or partner)._teleum_call_domain()
        numbers = self.search(expression.OR(domain)).number_id
        Call = self.env["teleum.call"]
        if Call.has_access("read"):
            numbers |= Call.search(calls + [("direction", "=", "inbound"), ("number_id", "!=", False)],
                                   limit=1).number_id
        return self.search([("number_id", "in", numbers.ids)]) if numbers else self.browse()

    @api.model
    def _teleum_routing_summary(self, forwards):
        """One line per number: "+7 800 … → Sam (SIP 101), then Anna (SIP 102)" (HTML, or False)."""
        lines = []
        for number in forwards.number_id:
            chain = forwards.filtered(lambda f, number=number: f.number_id == number)
            lines.append(Markup("<div>%s</div>") % _("%(number)s → %(chain)s", number=number.display_name,
                                                        chain=_(", then ").join(chain.mapped("rings_label"))))
        return Markup("").join(lines) or False
