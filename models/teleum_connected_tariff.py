"""The tariffs connected to the account (getConnectedTariffs)."""

from datetime import datetime

import pytz

from odoo import api, fields, models


class TeleumConnectedTariff(models.Model):
    _name = "teleum.connected.tariff"
    _inherit = ["teleum.binding.mixin"]
    _description = "Teleum Connected Tariff"
    _order = "link_date desc, id"

    name = fields.Char(required=True)
    currency_id = fields.Many2one(related="account_id.currency_id")
    cost = fields.Monetary(currency_field="currency_id", groups="teleum_telephony.group_teleum_manager")
    payment_type = fields.Char()
    number_teleum_id = fields.Char("Number ID")
    number = fields.Char("Number as Teleum writes it")
    number_id = fields.Many2one("teleum.number", "Number", compute="_compute_number_id", store=True, index=True)
    link_date = fields.Datetime("Connected on")

    @api.depends("number_teleum_id", "account_id")
    def _compute_number_id(self):
        wanted = [t for t in self.mapped("number_teleum_id") if t]
        numbers = self.env["teleum.number"].with_context(active_test=False).search(
            [("account_id", "in", self.account_id.ids), ("teleum_id", "in", wanted)])
        by_key = {(n.account_id.id, n.teleum_id): n for n in numbers}
        for rec in self:
            rec.number_id = by_key.get((rec.account_id.id, rec.number_teleum_id), False)

    @api.model
    def _sync_from_teleum(self, account, client, tariffs=None):
        """``tariffs``: getConnectedTariffs' answer when the caller has already read it."""
        items = {}
        for i, t in enumerate(client.get_connected_tariffs() if tariffs is None else tariffs):
            link = t.link_date
            if link is not None and not isinstance(link, datetime):
                link = fields.Datetime.to_datetime(link)
            if link is not None and link.tzinfo:
                link = link.astimezone(pytz.UTC).replace(tzinfo=None)
            # a tariff can be connected several times (one per number): key on tariff + number
            key = f"{t.id}/{t.number_id or i}"
            items[key] = {"name": t.name, "cost": float(t.cost or 0), "payment_type": t.payment_type or False,
                          "number_teleum_id": t.number_id or False, "number": t.number or False,
                          "link_date": link}
        return self._bind(account, items)
