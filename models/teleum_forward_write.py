"""Call forwards written through to Teleum (teleum.write.through.mixin): create, edit, delete."""

from odoo import _, api, models
from odoo.exceptions import UserError, ValidationError

from ..teleum_api import TeleumError, TeleumTransientError
from .teleum_types import FORWARD_TYPE_LABELS

# Fields a user sets that go to Teleum (editForward); the others are Odoo's own (partner_id...).
TELEUM_FIELDS = frozenset({"number_id", "type_id", "target", "timeout", "callerid_type_id", "callerid_number_id",
                           "record", "moh", "vpbx", "isolated"})
# Fields compared with a fresh read before a change: if Teleum has other values, someone else changed it.
CONFLICT_FIELDS = ("type_id", "target", "timeout", "callerid_type_id", "callerid_number_id", "record", "moh",
                   "vpbx")


class TeleumForward(models.Model):
    _inherit = "teleum.forward"
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
        # the order is sent once for all the forwards a drag moved (teleum_forward_order.py)
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
        number.message_post(body=_("Forward created on Teleum: %(forward)s.", forward=rec.display_name))
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
        new_number.message_post(body=_("Forward changed on Teleum: %(forward)s (%(changes)s).",
                                       forward=self.display_name, changes=changes or _("no change")))

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
        number.message_post(body=_("Forward deleted on Teleum: %(forward)s.", forward=text))
