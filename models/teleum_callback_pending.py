"""Callers whose call-backs an import left to its last page (see ``teleum.call._after_import``)."""

from odoo import fields, models


class TeleumCallbackPending(models.Model):
    _name = "teleum.callback.pending"
    _description = "Teleum call-back to settle"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, ondelete="cascade")
    remote_number = fields.Char("Number", required=True)

    _sql_constraints = [
        ("key_uniq", "unique(company_id, remote_number)", "A number waits once per company."),
    ]
