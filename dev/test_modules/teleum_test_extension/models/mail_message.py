from odoo import api, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        self.env["teleum.test.seen"]._saw(messages, "create")
        return messages

    def write(self, vals):
        res = super().write(vals)
        self.env["teleum.test.seen"]._saw(self, "write:" + ",".join(sorted(vals)))
        return res
