"""Write-through to Teleum: one mechanism for every record Odoo edits on Teleum (forwards, SIP lines).

A user's create/write/unlink goes to Teleum first; Odoo then stores what Teleum reads back through
the binder, whose writes carry the ``teleum_sync`` context and are not sent again. A model plugs in
with hooks (in the way Odoo's ``google.calendar.sync`` serves events and attendees):

- ``_teleum_fields``: the fields that live on Teleum; the others are Odoo's own and written locally;
- ``_teleum_locked_fields`` / ``_teleum_locked_message``: fields only Teleum sets (the guard);
- ``_teleum_create(vals)``, ``_teleum_edit(teleum_vals)``, ``_teleum_delete()``: push one record;
- ``_teleum_read_live(client, scope)``: Teleum's current state, read before a change and again after
  a lost reply (``_teleum_reread_after_loss``), never re-sending the change.
"""

from odoo import _, api, models
from odoo.exceptions import UserError

from ..teleum_api import TeleumError


class TeleumWriteThroughMixin(models.AbstractModel):
    _name = "teleum.write.through.mixin"
    _description = "Record written through to Teleum"

    _teleum_fields = frozenset()  # fields sent to Teleum
    _teleum_locked_fields = ()  # fields only Teleum sets

    # ------------------------------------------------------------------ hooks
    def _teleum_create(self, vals):
        raise NotImplementedError

    def _teleum_edit(self, vals):
        raise NotImplementedError

    def _teleum_delete(self):
        raise NotImplementedError

    @api.model
    def _teleum_read_live(self, client, scope):
        """Teleum's current records of ``scope`` (a number, an account...)."""
        raise NotImplementedError

    @api.model
    def _teleum_lost_reply_hint(self, scope):
        """How the user sees later what Teleum has (after a lost reply)."""
        return ""

    def _teleum_locked_message(self, field_label):
        raise NotImplementedError

    def _teleum_locked_unchanged(self, fname, value):
        """A locked field may be written with the value every record already has (the web client
        sends some back unchanged)."""
        return False

    def _teleum_pop_deferred(self, vals):
        """Values handled after the Teleum and local writes (e.g. an order); popped from ``vals``."""
        return {}

    def _teleum_write_deferred(self, deferred):
        return

    def _teleum_check_deletable(self):
        return

    # ------------------------------------------------------------------ mechanism
    def _teleum_is_sync(self):
        return bool(self.env.context.get("teleum_sync"))

    @api.model
    def _teleum_confirm(self, message):
        """Tell the person who made the change that Teleum has it: a notification, sent when the
        transaction commits (never for a change rolled back). ``teleum_no_confirm``: the caller
        (a wizard) says it in its own words."""
        if self.env.context.get("teleum_no_confirm") or self.env.su:
            return
        self.env.user._bus_send("simple_notification", {"type": "success", "title": _("Saved on Teleum"),
                                                         "message": message})

    @api.model_create_multi
    def create(self, vals_list):
        if self._teleum_is_sync():
            return super().create(vals_list)
        self.check_access("create")
        return self.browse([self._teleum_create(dict(vals)).id for vals in vals_list])

    def write(self, vals):
        if self._teleum_is_sync():
            return super().write(vals)
        vals = dict(vals)
        self.check_access("write")
        for fname in self._teleum_locked_fields:
            if fname in vals:
                if self._teleum_locked_unchanged(fname, vals[fname]):
                    vals.pop(fname)
                    continue
                raise UserError(self._teleum_locked_message(self._fields[fname]._description_string(self.env)))
        deferred = self._teleum_pop_deferred(vals)
        teleum_vals = {k: v for k, v in vals.items() if k in self._teleum_fields}
        local_vals = {k: v for k, v in vals.items() if k not in self._teleum_fields}
        if teleum_vals:
            for rec in self:
                rec._teleum_edit(teleum_vals)
        if local_vals:
            self.with_context(teleum_sync=True).write(local_vals)
        if deferred:
            self._teleum_write_deferred(deferred)
        return True

    def unlink(self):
        if self._teleum_is_sync():
            return super().unlink()
        self.check_access("unlink")
        self._teleum_check_deletable()
        for rec in self:
            rec._teleum_delete()
        return super(TeleumWriteThroughMixin, self.with_context(teleum_sync=True)).unlink()

    @api.model
    def _teleum_raise(self, account, exc):
        raise UserError(account._error_text(exc)) from None

    @api.model
    def _teleum_read_current(self, client, scope, account):
        """Teleum's state before a change (what a conflict or a lost reply is judged against), or a
        UserError saying why Teleum cannot be read: nothing has been sent yet."""
        try:
            return self._teleum_read_live(client, scope)
        except TeleumError as exc:
            self._teleum_raise(account, exc)

    @api.model
    def _teleum_reread_after_loss(self, client, scope, account):
        """The reply of a write was lost: read Teleum again before saying anything. Returns the fresh
        state, or raises if Teleum still cannot be read (the change is never sent again)."""
        try:
            return self._teleum_read_live(client, scope)
        except TeleumError as exc:
            raise UserError(_("Teleum's answer was lost and Teleum cannot be read now (%(error)s). The change "
                              "may or may not have been made: it was not sent again. %(hint)s",
                              error=account._error_text(exc), hint=self._teleum_lost_reply_hint(scope))) from None
