"""Groups of Teleum's tariff catalogue (for the new-number wizard)."""

from odoo import fields, models


class TeleumTariffGroup(models.Model):
    _name = "teleum.tariff.group"
    _inherit = ["teleum.binding.mixin"]
    _description = "Teleum Tariff Group"
    _order = "name"

    name = fields.Char(required=True)
    tariff_ids = fields.One2many("teleum.tariff", "group_id")
