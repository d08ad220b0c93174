"""'Route calls to this contact': one of our numbers rings a contact.

The forward goes through the validated write path of teleum.forward (create/write push to
Teleum), then ``_teleum_place`` puts it first, last, or in place of the number's other forwards.
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools import normalize_phone

POSITIONS = [
    ("first", "First: rings before the number's other forwards"),
    ("last", "Last: rings when the others did not answer"),
    ("replace", "Replace the number's forwards"),
]


class TeleumRouteCallsWizard(models.TransientModel):
    _name = "teleum.route.calls.wizard"
    _description = "Route calls to a contact"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", "Contact", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, required=True)
    number_id = fields.Many2one(
        "teleum.number", "Teleum number", required=True, check_company=True,
        domain="[('teleum_id', '!=', False), ('company_id', '=', company_id)]",
        help="Calls to this number will ring the contact.",
    )
    account_id = fields.Many2one(related="number_id.account_id")
    target_kind = fields.Selection([("sip", "SIP line"), ("phone", "Phone number")],
                                   compute="_compute_target", string="Rings on")
    sip_id = fields.Many2one("teleum.sip", "SIP line", compute="_compute_target")
    target = fields.Char("Rings", compute="_compute_target",
                         help="The SIP line of the contact's Odoo user, otherwise their mobile or phone.")
    timeout = fields.Integer(default=20, required=True, help="Seconds to ring before the next forward (5-30).")
    record = fields.Boolean("Record calls")
    position = fields.Selection(POSITIONS, default="last", required=True)
    callerid_type_id = fields.Many2one(
        "teleum.callerid.type", "Caller ID shown", compute="_compute_callerid_type_id", store=True,
        readonly=False, domain="[('account_id', '=', account_id), ('is_own', '=', False)]",
    )

    @api.depends("partner_id", "number_id")
    def _compute_target(self):
        for wizard in self:
            wizard.sip_id = sip = wizard._find_sip()
            if sip:
                wizard.target_kind, wizard.target = "sip", sip.num
                continue
            key = wizard._partner_phone_key()
            wizard.target_kind = key and "phone"
            wizard.target = key or False

    def _find_sip(self):
        users = self.partner_id.user_ids
        if not users or not self.number_id:
            return self.env["teleum.sip"]
        return self.env["teleum.sip"].search(
            [("account_id", "=", self.number_id.account_id.id), ("user_id", "in", users.ids)], limit=1)

    def _partner_phone_key(self):
        partner = self.partner_id
        country = partner.country_id or self.company_id.country_id
        args = (country.code, country.phone_code) if country else ("RU", 7)
        for number in (partner.mobile, partner.phone):
            key = normalize_phone(number, *args)
            if key and len(key) >= 10:
                return key
        return False

    @api.depends("number_id")
    def _compute_callerid_type_id(self):
        for wizard in self:
            types = self.env["teleum.callerid.type"].search(
                [("account_id", "=", wizard.number_id.account_id.id), ("is_own", "=", False)])
            wizard.callerid_type_id = types.sorted(lambda t: (len(t.teleum_id or ""), t.teleum_id or ""))[:1]

    def _forward_type(self):
        ftype = self.env["teleum.forward.type"].search(
            [("account_id", "=", self.number_id.account_id.id), ("kind", "=", self.target_kind)], limit=1)
        if not ftype:
            raise UserError(_("Teleum offers no forward type for %(kind)s. Synchronise the account first.",
                              kind=dict(self._fields["target_kind"]._description_selection(self.env)).get(self.target_kind)))
        return ftype

    def action_apply(self):
        self.ensure_one()
        if not self.target:
            raise UserError(_("%(name)s has no SIP line (through a linked Odoo user), mobile or phone to ring.",
                              name=self.partner_id.display_name))
        ftype = self._forward_type()
        Forward = self.env["teleum.forward"]
        vals = {
            "timeout": self.timeout,
            "record": self.record,
            "partner_id": self.partner_id.id,
        }
        if self.callerid_type_id:
            vals["callerid_type_id"] = self.callerid_type_id.id
        forward = Forward.search([("number_id", "=", self.number_id.id), ("type_id", "=", ftype.id),
                                  ("target", "=", self.target)], limit=1)
        if forward:  # the number already rings there: update it rather than ring twice
            changed = {k: v for k, v in vals.items() if Forward._differs(forward, k, v)}
            if changed:
                forward.write(changed)
        else:
            forward = Forward.create(dict(vals, account_id=self.number_id.account_id.id,
                                          number_id=self.number_id.id, type_id=ftype.id, target=self.target))
        forward._teleum_place(self.position)
        return {"type": "ir.actions.act_window_close"}
