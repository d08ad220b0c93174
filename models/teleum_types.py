"""The lists Teleum defines and Odoo only shows: forward types and caller-ID modes."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
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
CALLERID_TYPE_LABELS = {
    "вызывающего": _lt("Caller's number"),
    "свой": _lt("Own number"),
    "групповой": _lt("Group number"),
}


class TeleumTypeLabelMixin(models.AbstractModel):
    """A list Teleum gives (forward types, caller-ID modes): documented names are shown and found in
    the user's language; nothing is created in Odoo."""

    _name = "teleum.type.label.mixin"
    _description = "Teleum type shown in the user's language"
    _teleum_labels = {}  # Teleum's name, lower case -> lazy translated label

    def _teleum_label(self):
        self.ensure_one()
        label = self._teleum_labels.get((self.name or "").strip().lower())
        return self.env._(label) if label else self.name

    @api.depends("name")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for rec in self:
            rec.display_name = rec._teleum_label()

    @api.model
    def _search_display_name(self, operator, value):
        domain = super()._search_display_name(operator, value)
        if operator != "ilike" or not value:
            return domain
        # "Phone" finds Teleum's "Телефон" for an English user
        names = [name for name, label in self._teleum_labels.items() if value.lower() in self.env._(label).lower()]
        if not names:
            return domain
        spellings = {spelling for name in names for spelling in (name, name.capitalize(), name.upper())}
        return expression.OR([domain, [("name", "in", list(spellings))]])

    @api.model
    def name_create(self, name):
        raise UserError(_("This list comes from Teleum: nothing can be added to it in Odoo."))


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
