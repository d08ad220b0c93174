from odoo import api, models


class TeleumCall(models.Model):
    _inherit = "teleum.call"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env["teleum.test.seen"]._saw(records, "create")
        return records

    def write(self, vals):
        res = super().write(vals)
        self.env["teleum.test.seen"]._saw(self, "write:" + ",".join(sorted(vals)))
        return res
