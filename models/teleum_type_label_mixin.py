"""Lists Teleum gives and Odoo only shows (forward types, caller-ID modes): their names in the user's language."""

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.osv import expression


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
