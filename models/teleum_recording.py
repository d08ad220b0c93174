import pytz

from odoo import api, fields, models


class TeleumRecording(models.Model):
    _name = "teleum.recording"
    _description = "Teleum Call Recording"
    _order = "call_date desc, id desc"
    _check_company_auto = True

    account_id = fields.Many2one("teleum.account", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    file_id = fields.Char("Teleum file ID", required=True, readonly=True)
    call_id = fields.Many2one("teleum.call", index="btree_not_null", readonly=True)
    call_date = fields.Datetime(readonly=True)
    src = fields.Char(readonly=True)
    dst = fields.Char(readonly=True)
    duration = fields.Integer(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", "Copy in Odoo", readonly=True)

    _sql_constraints = [
        ("file_uniq", "unique(account_id, file_id)", "A recording is imported once."),
    ]

    @api.depends("file_id", "call_date")
    def _compute_display_name(self):
        for rec in self:
            rec.display_name = rec.file_id

    @api.model
    def _sync_month(self, account, client, month):
        """Import the month's recording list and link each recording to its call."""
        records = client.get_records_list(month.year, month.month)
        if not records:
            return self.browse()
        self.env.cr.execute("SELECT file_id FROM teleum_recording WHERE account_id = %s AND file_id = ANY(%s)",
                            (account.id, [r.file_id for r in records]))
        known = {fid for (fid,) in self.env.cr.fetchall()}
        vals_list = []
        for rec in records:
            if rec.file_id in known or not rec.file_id:
                continue
            vals_list.append({
                "account_id": account.id, "company_id": account.company_id.id, "file_id": rec.file_id,
                "call_date": rec.call_date and rec.call_date.astimezone(pytz.UTC).replace(tzinfo=None),
                "src": rec.src or False, "dst": rec.dst or False, "duration": rec.duration or 0,
            })
        created = self.create(vals_list)
        created._link_calls()
        return created

    def _link_calls(self):
        """A recording belongs to the call with the same date, numbers and duration."""
        Call = self.env["teleum.call"]
        for rec in self:
            call = Call.search([
                ("account_id", "=", rec.account_id.id), ("call_date", "=", rec.call_date),
                ("src", "=", rec.src), ("dst", "=", rec.dst), ("recording_id", "=", False),
            ], limit=1, order="occurrence")
            if call:
                call.recording_id = rec
                rec.call_id = call
