"""Call forwards: their order on Teleum (moveForward), from a drag in a list, the arrows or a wizard."""

from odoo import _, api, models
from odoo.exceptions import UserError

from ..teleum_api import TeleumError, TeleumTransientError


class TeleumForward(models.Model):
    _inherit = "teleum.forward"

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
        number.message_post(body=_("Order of the forwards changed on Teleum: %(order)s.",
                                   order="; ".join(self._teleum_describe(f) for f in fresh)))
        return True

    def _teleum_place(self, position):
        """Put this forward at ``position`` on Teleum and in Odoo (public helper, e.g. for the CRM wizard).

        - ``'first'``: Teleum tries it before all the other forwards of its number;
        - ``'last'``: after all of them (where Teleum puts a new forward anyway);
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
        current = self.search([("number_id", "=", number.id)]).mapped("teleum_id")
        rest = [t for t in current if t != self.teleum_id]
        wanted = [self.teleum_id] + rest if position == "first" else rest + [self.teleum_id]
        return self._teleum_apply_order(number, wanted, current)

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
