from odoo import models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _get_message_create_valid_field_names(self):
        # the notes of imported calls are created with their call (_message_create)
        return super()._get_message_create_valid_field_names() | {"teleum_call_ids"}
