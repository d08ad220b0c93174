"""The caller-ID modes Teleum defines (getForwardsRCIDs)."""

from odoo import api, fields, models
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

# The modes the API page documents (вызывающего, свой, групповой), shown in the user's language.
CALLERID_TYPE_LABELS = {
    "вызывающего": _lt("Caller's number"),
    "свой": _lt("Own number"),
    "групповой": _lt("Group number"),
}


class TeleumCallerIdType(models.Model):
    _name = "teleum.callerid.type"
    _inherit = ["teleum.binding.mixin", "teleum.type.label.mixin"]
    _description = "Teleum Caller ID Type"
    _teleum_labels = CALLERID_TYPE_LABELS
    _order = "teleum_id"

    name = fields.Char(required=True)
    is_own = fields.Boolean(compute="_compute_is_own", store=True,
                            help="This caller ID mode presents one of our numbers, chosen per forward.")

    @api.depends("name", "teleum_id")
    def _compute_is_own(self):
        for rec in self:
            name = (rec.name or "").lower()
            rec.is_own = "свой" in name or "own" in name or (not name and rec.teleum_id == "3")

    @api.model
    def _sync_from_teleum(self, account, client):
        self._bind(account, {t.id: {"name": t.name} for t in client.get_forwards_rcids()})
