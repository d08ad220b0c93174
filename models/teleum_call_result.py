"""What came of a call (reached, call back later, wrong number…): a list each company edits, as
OCA's crm_phonecall_result and every CRM's call card have. A result without a company is offered
to every company."""

from odoo import fields, models


class TeleumCallResult(models.Model):
    _name = "teleum.call.result"
    _description = "Teleum Call Result"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", "Company", default=lambda self: self.env.company,
                                 help="Empty: offered to every company.")

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "This result is already in the list."),
    ]
