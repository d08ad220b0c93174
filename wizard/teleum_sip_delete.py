from odoo import _, api, fields, models


class TeleumSipDeleteWizard(models.TransientModel):
    _name = "teleum.sip.delete.wizard"
    _description = "Delete a Teleum SIP line"

    sip_id = fields.Many2one("teleum.sip", required=True, ondelete="cascade")
    forward_ids = fields.Many2many("teleum.forward", compute="_compute_forward_ids", string="Forwards to this line")
    warning = fields.Text(compute="_compute_forward_ids")

    @api.depends("sip_id")
    def _compute_forward_ids(self):
        for wiz in self:
            wiz.forward_ids = wiz.sip_id.forward_ids
            if wiz.sip_id.forward_ids:
                wiz.warning = wiz.sip_id._teleum_delete_warning()
            else:
                wiz.warning = _("No forward rings SIP line %(num)s.", num=wiz.sip_id.num)

    def action_confirm(self):
        self.ensure_one()
        self.sip_id.with_context(teleum_sip_delete_confirmed=True).unlink()
        return {"type": "ir.actions.act_window", "res_model": "teleum.sip", "view_mode": "list,form",
                "name": _("SIP Lines"), "target": "main"}
