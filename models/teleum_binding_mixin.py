"""The binder every mirrored Teleum model inherits (`teleum.binding.mixin`).

Every mirrored model has `account_id`, `teleum_id` (the id Teleum gives it, unique per account)
and `active`: a record that disappears on Teleum is archived, never deleted, so calls and
chatter that point to it keep their history.
"""

from odoo import api, fields, models


class TeleumBindingMixin(models.AbstractModel):
    _name = "teleum.binding.mixin"
    _description = "Record mirrored from Teleum"
    _check_company_auto = True

    account_id = fields.Many2one("teleum.account", required=True, ondelete="cascade", index=True,
                                 check_company=True)
    company_id = fields.Many2one(related="account_id.company_id", store=True, index=True)
    teleum_id = fields.Char("Teleum ID", index=True, readonly=True, copy=False)
    active = fields.Boolean(default=True)

    @api.model
    def _bind(self, account, items, archive_missing=True, domain=None, key="teleum_id"):
        """Upsert ``items`` ({key: vals}) for ``account``; archive the ones Teleum no longer has.

        Writes only values that changed, so an unchanged re-sync writes nothing.
        Returns {teleum_id: record}.
        """
        caller = self
        # the binder's own writes mirror Teleum: they must not be sent back to it
        self = self.with_context(teleum_sync=True)
        base = [("account_id", "=", account.id)] + (domain or [])
        existing = self.with_context(active_test=False).search(base)
        by_id = {rec[key]: rec for rec in existing}
        result = {}
        to_create = []
        for tid, vals in items.items():
            rec = by_id.get(tid)
            if rec:
                changed = {k: v for k, v in vals.items() if self._differs(rec, k, v)}
                if not rec.active:
                    changed["active"] = True
                if changed:
                    rec.write(changed)
                result[tid] = rec
            else:
                to_create.append(dict(vals, account_id=account.id, **{key: tid}))
        for rec in self.create(to_create):
            result[rec[key]] = rec
        if archive_missing:
            gone = existing.filtered(lambda r: r.active and r[key] not in items)
            if gone:
                gone.active = False
        # hand back records without the sync context: a caller's writes must reach Teleum
        return {tid: caller.browse(rec.id) for tid, rec in result.items()}

    @staticmethod
    def _differs(rec, fname, value):
        current = rec[fname]
        field = rec._fields[fname]
        if field.type == "many2one":
            return current.id != (value or False)
        if field.type in ("one2many", "many2many"):
            return True
        if field.type == "float" or field.type == "monetary":
            return abs((current or 0.0) - (value or 0.0)) > 1e-6
        return (current or False) != (value or False)
