from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

CHATTER_CALLS = [
    ("off", "Off"),
    ("leads", "Leads only"),
    ("leads_contacts", "Leads and contacts"),
    ("missed", "Missed calls only"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    teleum_chatter_calls = fields.Selection(
        CHATTER_CALLS, string="Calls in the chatter", default="leads", required=True,
        help="Which imported calls leave a note in the chatter: on the caller's lead or opportunity "
             "only, also on the contact, or only the missed calls (on both). Calls older than the "
             "call-back window (history imported on the first sync) never do.")
    teleum_callback_target = fields.Integer(
        "Return missed calls within", default=15, required=True,
        help="Minutes: a missed call returned within this time counts as returned in time in the calls analysis.")
    teleum_assign_salesperson = fields.Boolean(
        "Salesperson from the first answered call", default=True,
        help="A contact or an open lead with no salesperson gets the agent who answered its first call. "
             "An existing salesperson is never replaced.")

    def write(self, vals):
        res = super().write(vals)
        if "teleum_callback_target" in vals:
            self.env["teleum.call"]._teleum_apply_return_target(self)
        return res

    @api.constrains("teleum_callback_target")
    def _check_teleum_callback_target(self):
        if any(company.teleum_callback_target < 1 for company in self):
            raise ValidationError(_("Missed calls must be returned within at least one minute."))
