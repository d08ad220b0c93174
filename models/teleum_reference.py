"""Mirrored Teleum records: the binder mixin and the small reference lists.

Every mirrored model has `account_id`, `teleum_id` (the id Teleum gives it, unique per account)
and `active`: a record that disappears on Teleum is archived, never deleted, so calls and
chatter that point to it keep their history.
"""

from datetime import datetime

import pytz

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


class TeleumTariffGroup(models.Model):
    _name = "teleum.tariff.group"
    _inherit = ["teleum.binding.mixin"]
    _description = "Teleum Tariff Group"
    _order = "name"

    name = fields.Char(required=True)
    tariff_ids = fields.One2many("teleum.tariff", "group_id")


class TeleumTariff(models.Model):
    _name = "teleum.tariff"
    _inherit = ["teleum.binding.mixin"]
    _description = "Teleum Tariff"
    _order = "group_id, name"

    name = fields.Char(required=True)
    group_id = fields.Many2one("teleum.tariff.group", ondelete="cascade", index=True)
    description = fields.Text()
    number_required = fields.Boolean()
    region_id = fields.Char("Number region ID")
    region_name = fields.Char("Number region")
    number_type_id = fields.Char("Number type ID")
    number_type_name = fields.Char("Number type")
    currency_id = fields.Many2one(related="account_id.currency_id")
    connect_price = fields.Monetary(currency_field="currency_id")
    monthly_price = fields.Monetary("Monthly fee", currency_field="currency_id")

    @api.model
    def _sync_catalog(self, account, client):
        """Tariff groups and their tariffs (read when a manager opens the new-number wizard)."""
        groups = self.env["teleum.tariff.group"]._bind(
            account, {g.id: {"name": g.name} for g in client.get_tariff_groups()}
        )
        for gid, group in groups.items():
            self._bind(account, {
                t.id: {
                    "name": t.name, "group_id": group.id, "description": t.description or False,
                    "number_required": t.number_required, "region_id": t.region_id or False,
                    "region_name": t.region_name or False, "number_type_id": t.number_type_id or False,
                    "number_type_name": t.number_type_name or False,
                    "connect_price": float(t.connect_price or 0), "monthly_price": float(t.monthly_price or 0),
                } for t in client.get_tariffs(gid)
            }, domain=[("group_id", "=", group.id)])
        return groups


class TeleumConnectedTariff(models.Model):
    _name = "teleum.connected.tariff"
    _inherit = ["teleum.binding.mixin"]
    _description = "Teleum Connected Tariff"
    _order = "link_date desc, id"

    name = fields.Char(required=True)
    currency_id = fields.Many2one(related="account_id.currency_id")
    cost = fields.Monetary(currency_field="currency_id")
    payment_type = fields.Char()
    number_teleum_id = fields.Char("Number ID")
    number = fields.Char("Number as Teleum writes it")
    number_id = fields.Many2one("teleum.number", "Number", compute="_compute_number_id", store=True, index=True)
    link_date = fields.Datetime("Connected on")

    @api.depends("number_teleum_id", "account_id")
    def _compute_number_id(self):
        wanted = [t for t in self.mapped("number_teleum_id") if t]
        numbers = self.env["teleum.number"].with_context(active_test=False).search(
            [("account_id", "in", self.account_id.ids), ("teleum_id", "in", wanted)])
        by_key = {(n.account_id.id, n.teleum_id): n for n in numbers}
        for rec in self:
            rec.number_id = by_key.get((rec.account_id.id, rec.number_teleum_id), False)

    @api.model
    def _sync_from_teleum(self, account, client):
        items = {}
        for i, t in enumerate(client.get_connected_tariffs()):
            link = t.link_date
            if link is not None and not isinstance(link, datetime):
                link = fields.Datetime.to_datetime(link)
            if link is not None and link.tzinfo:
                link = link.astimezone(pytz.UTC).replace(tzinfo=None)
            # a tariff can be connected several times (one per number): key on tariff + number
            key = f"{t.id}/{t.number_id or i}"
            items[key] = {"name": t.name, "cost": float(t.cost or 0), "payment_type": t.payment_type or False,
                          "number_teleum_id": t.number_id or False, "number": t.number or False,
                          "link_date": link}
        return self._bind(account, items)
