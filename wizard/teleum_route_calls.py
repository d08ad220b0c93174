"""'Route calls to an agent': one of our numbers rings the agent who looks after a customer.

Opened from a contact or a lead. The agent defaults to the contact itself when it is an Odoo
user's contact, else the customer's salesperson, else the current user; the number defaults to
the one this customer last called. The forward rings the agent's SIP line, or, only when chosen,
the agent's mobile or the customer's own phone. It goes through the validated write path of
teleum.forward (create/write push to Teleum), then ``_teleum_place`` puts it first, last, or in
place of the number's other forwards.
"""

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import clean_context

from ..tools import normalize_phone

POSITIONS = [
    ("first", "First: rings before the number's other forwards"),
    ("last", "Last: rings when the others did not answer"),
    ("replace", "Replace the number's forwards"),
]
RING_ON = [
    ("sip", "The agent's SIP line"),
    ("mobile", "The agent's mobile"),
    ("customer", "The customer's own phone"),
]


class TeleumRouteCallsWizard(models.TransientModel):
    _name = "teleum.route.calls.wizard"
    _description = "Route calls to an agent"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", "Customer", readonly=True, ondelete="cascade")
    lead_id = fields.Many2one("crm.lead", "Lead", readonly=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, required=True)
    agent_id = fields.Many2one(
        "res.users", "Agent", compute="_compute_agent_id", store=True, readonly=False,
        domain="[('id', 'in', agent_ids)]",
        help="Who answers this customer's calls: any user with a SIP line.")
    agent_ids = fields.Many2many("res.users", compute="_compute_agent_ids", string="Agents with a SIP line")
    number_id = fields.Many2one(
        "teleum.number", "Teleum number", compute="_compute_number_id", store=True, readonly=False,
        check_company=True, domain="[('teleum_id', '!=', False), ('company_id', '=', company_id)]",
        help="Calls to this number will ring the agent. By default the number this customer last called.",
    )
    account_id = fields.Many2one(related="number_id.account_id")
    ring_on = fields.Selection(RING_ON, string="Ring on", default="sip", required=True)
    target_kind = fields.Selection([("sip", "SIP line"), ("phone", "Phone number")],
                                   compute="_compute_target", string="Forward type")
    sip_id = fields.Many2one("teleum.sip", "SIP line", compute="_compute_target")
    target = fields.Char("Rings", compute="_compute_target",
                         help="The agent's SIP line (or, when chosen, the agent's mobile or the customer's phone).")
    missing_reason = fields.Char(compute="_compute_target")
    timeout = fields.Integer(default=20, required=True, help="Seconds to ring before the next forward (5-30).")
    record = fields.Boolean("Record calls")
    position = fields.Selection(POSITIONS, default="last", required=True)
    callerid_type_id = fields.Many2one(
        "teleum.callerid.type", "Caller ID shown", compute="_compute_callerid_type_id", store=True,
        readonly=False, domain="[('account_id', '=', account_id), ('is_own', '=', False)]",
    )

    # ------------------------------------------------------------------ defaults
    def _customer(self):
        """The contact the calls come from: the one of the form, or the lead's."""
        return self.partner_id or self.lead_id.partner_id

    def _account(self):
        return self.number_id.account_id or self.env["teleum.account"].search(
            [("company_id", "=", self.company_id.id)], limit=1)

    @api.depends("company_id", "number_id")
    def _compute_agent_ids(self):
        for wizard in self:
            wizard.agent_ids = self.env["teleum.sip"].search(
                [("account_id", "=", wizard._account().id), ("user_id", "!=", False)]).user_id

    @api.depends("partner_id", "lead_id")
    def _compute_agent_id(self):
        for wizard in self:
            customer = wizard._customer()
            # the contact of an Odoo user (not a portal user): route to that user
            own_user = customer.user_ids.filtered(lambda u: not u.share)[:1]
            salesperson = wizard.lead_id.user_id or customer.user_id or customer.commercial_partner_id.user_id
            wizard.agent_id = own_user or salesperson or self.env.user

    @api.depends("partner_id", "lead_id", "company_id")
    def _compute_number_id(self):
        Call = self.env["teleum.call"]
        for wizard in self:
            if wizard.lead_id:
                domain = wizard.lead_id._teleum_call_domain()
            elif wizard.partner_id:
                domain = [("partner_id", "child_of", wizard.partner_id.id)]
            else:
                wizard.number_id = False
                continue
            last = Call.search(domain + [("direction", "=", "inbound"), ("number_id.teleum_id", "!=", False),
                                         ("company_id", "=", wizard.company_id.id)], limit=1)
            wizard.number_id = last.number_id

    @api.depends("agent_id", "ring_on", "number_id", "partner_id", "lead_id")
    def _compute_target(self):
        for wizard in self:
            wizard.sip_id = sip = wizard.ring_on == "sip" and wizard._agent_sip()
            key = not sip and wizard._phone_key()
            if sip:
                wizard.target_kind, wizard.target, wizard.missing_reason = "sip", sip.num, False
            elif key:
                wizard.target_kind, wizard.target, wizard.missing_reason = "phone", key, False
            else:
                wizard.target_kind = wizard.target = False
                wizard.missing_reason = wizard._missing_reason()

    def _agent_sip(self):
        account = self._account()
        if not self.agent_id or not account:
            return self.env["teleum.sip"]
        return self.env["teleum.sip"].search(
            [("account_id", "=", account.id), ("user_id", "=", self.agent_id.id)], limit=1)

    def _phone_key(self):
        """The agent's mobile or the customer's phone, normalised as Teleum wants it."""
        if self.ring_on == "mobile":
            partner = self.agent_id.partner_id
            numbers = (partner.mobile,)
        elif self.ring_on == "customer":
            partner = self._customer()
            numbers = (partner.mobile, partner.phone) if partner else (self.lead_id.mobile, self.lead_id.phone)
        else:
            return False
        country = partner.country_id or self.company_id.country_id
        args = (country.code, country.phone_code) if country else ("RU", 7)
        for number in numbers:
            key = normalize_phone(number, *args)
            if key and len(key) >= 10:
                return key
        return False

    def _missing_reason(self):
        if not self.agent_id and self.ring_on != "customer":
            return _("Choose the agent.")
        if self.ring_on == "sip":
            if not self._account():
                return _("Connect a Teleum account first.")
            return _("%(agent)s has no SIP line: choose another agent, or ring their mobile.",
                     agent=self.agent_id.name)
        if self.ring_on == "mobile":
            return _("%(agent)s has no mobile number in their contact details.", agent=self.agent_id.name)
        return _("%(name)s has no mobile or phone number to ring.",
                 name=(self._customer() or self.lead_id).display_name)

    @api.depends("number_id")
    def _compute_callerid_type_id(self):
        for wizard in self:
            types = self.env["teleum.callerid.type"].search(
                [("account_id", "=", wizard.number_id.account_id.id), ("is_own", "=", False)])
            wizard.callerid_type_id = types.sorted(lambda t: (len(t.teleum_id or ""), t.teleum_id or ""))[:1]

    # ------------------------------------------------------------------ apply
    def _forward_type(self):
        ftype = self.env["teleum.forward.type"].search(
            [("account_id", "=", self.number_id.account_id.id), ("kind", "=", self.target_kind)], limit=1)
        if not ftype:
            raise UserError(_("Teleum offers no forward type for %(kind)s. Synchronise the account first.",
                              kind=dict(self._fields["target_kind"]._description_selection(self.env)).get(self.target_kind)))
        return ftype

    def action_apply(self):
        self.ensure_one()
        if not self.number_id:
            raise UserError(_("Choose which of your Teleum numbers should ring the agent."))
        if not self.target:
            raise UserError(self.missing_reason or self._missing_reason())
        ftype = self._forward_type()
        # the form's default_* keys must not leak into the forwards the write path creates or reads back
        # (a replaced context: keyword arguments would only add keys)
        Forward = self.env["teleum.forward"].with_context(clean_context(self.env.context))  # pylint: disable=context-overridden
        vals = {
            "timeout": self.timeout,
            "record": self.record,
            "partner_id": self._customer().id or False,
            "lead_id": self.lead_id.id or False,
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
