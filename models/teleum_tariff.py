"""Teleum's tariff catalogue (for the new-number wizard)."""



from odoo import api, fields, models


class TeleumTariff(models.Model):
    _name = "teleum.tariff"
    _inherit = ["teleum.binding.mixin"]
    _description = "Teleum Tariff"
    _order = "group_id, name"

    name = fields.Char(required=True)
    group_id = fields.Many2one("teleum.tariff.group", ondelete="cascade", index=True)
    description = fields.Text()
    number_required = fields.Boolean()
    region_id = fields.Char("Number region ID")
    region_name = fields.Char("Number region")
    number_type_id = fields.Char("Number type ID")
    number_type_name = fields.Char("Number type")
    currency_id = fields.Many2one(related="account_id.currency_id")
    connect_price = fields.Monetary(currency_field="currency_id", groups="teleum_telephony.group_teleum_manager")
    monthly_price = fields.Monetary("Monthly fee", currency_field="currency_id",
                                    groups="teleum_telephony.group_teleum_manager")

    @api.model
    def _sync_catalog(self, account, client):
        """Tariff groups and their tariffs (read with the configuration, and when a manager opens the
        new-number wizard)."""
        groups = self.env["teleum.tariff.group"]._bind(
            account, {g.id: {"name": g.name} for g in client.get_tariff_groups()}
        )
        for gid, group in groups.items():
            self._bind(account, {
                t.id: {
                    "name": t.name, "group_id": group.id, "description": t.description or False,
                    "number_required": t.number_required, "region_id": t.region_id or False,
                    "region_name": t.region_name or False, "number_type_id": t.number_type_id or False,
                    "number_type_name": t.number_type_name or False,
                    "connect_price": float(t.connect_price or 0), "monthly_price": float(t.monthly_price or 0),
                } for t in client.get_tariffs(gid)
            }, domain=[("group_id", "=", group.id)])
        return groups
