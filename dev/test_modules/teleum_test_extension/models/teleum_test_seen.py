from odoo import api, fields, models


class TeleumTestSeen(models.Model):
    """One line per record an extension saw being created (what an audit log or webhook keeps)."""

    _name = "teleum.test.seen"
    _description = "Record seen by the test extension"

    model = fields.Char(required=True)
    res_id = fields.Integer(required=True)
    event = fields.Char(required=True)

    @api.model
    def _saw(self, records, event):
        self.sudo().create([{"model": records._name, "res_id": rid, "event": event} for rid in records.ids])

    @api.model
    def _seen(self, model, event):
        return set(self.sudo().search([("model", "=", model), ("event", "=", event)]).mapped("res_id"))
