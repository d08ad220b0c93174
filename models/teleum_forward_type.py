"""The forward types Teleum defines (getForwardsTypes), and what a forward of each type targets."""

from odoo import api, fields, models
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)

# The type names the API page documents (getForwardsTypes: SIP, телефон, автоответчик, факс;
# getForwardsRCIDs: вызывающего, свой, групповой), shown in the user's language. A name Teleum
# adds later is shown as Teleum writes it.
FORWARD_TYPE_LABELS = {
    "sip": _lt("SIP line"),
    "телефон": _lt("Phone"),
    "автоответчик": _lt("Answering machine"),
    "факс": _lt("Fax"),
}


class TeleumForwardType(models.Model):
    _name = "teleum.forward.type"
    _inherit = ["teleum.binding.mixin", "teleum.type.label.mixin"]
    _description = "Teleum Forward Type"
    _teleum_labels = FORWARD_TYPE_LABELS
    _order = "teleum_id"

    name = fields.Char(required=True, translate=False)
    kind = fields.Selection(
        [("sip", "SIP line"), ("phone", "Phone number"), ("email", "E-mail (answering machine, fax)"),
         ("other", "Other")],
        compute="_compute_kind", store=True,
        help="What the target of a forward of this type must be, read from the type's name.",
    )

    @api.depends("name")
    def _compute_kind(self):
        for rec in self:
            name = (rec.name or "").lower()
            if "sip" in name:
                rec.kind = "sip"
            elif any(w in name for w in ("телефон", "phone", "номер", "мобил")):
                rec.kind = "phone"
            elif any(w in name for w in ("автоответ", "факс", "fax", "answer", "mail", "почт")):
                rec.kind = "email"
            else:
                rec.kind = "other"

    @api.model
    def _sync_from_teleum(self, account, client):
        self._bind(account, {t.id: {"name": t.name} for t in client.get_forwards_types()})
