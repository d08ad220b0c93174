from odoo import fields, models

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
