from odoo import fields, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    # The other side of teleum.call's teleum_note_ids: a call's note is created with its link, by
    # the one create() of mail (see teleum.call._teleum_create_notes).
    teleum_call_ids = fields.Many2many(
        "teleum.call", "teleum_call_note_rel", "message_id", "call_id", string="Teleum calls",
        readonly=True, copy=False, groups="base.group_system")
