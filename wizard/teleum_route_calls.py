"""'Route calls to an agent': one of our numbers rings the agent who looks after a customer.

Opened from a contact or a lead. The agent defaults to the contact itself when it is an Odoo
user's contact, else the customer's salesperson, else the current user; the number defaults to
the one this customer last called. The forward rings the agent's SIP line, or, only when chosen,
the agent's mobile or the customer's own phone. It goes through the validated write path of
teleum.forward (create/write push to Teleum), then ``_teleum_place`` puts it first, last, or in
place of the number's other forwards.

Routing is per number: every caller of the number rings the agent, not only this customer, so
the form says so and shows the number's forwards before and after. "Last" stays before a
forward that ends the chain (answering machine, fax, e-mail), else the agent would never ring.
Notes are logged (no sender address needed). When something fails after Teleum took the
forward, Odoo reads the number again from Teleum instead of rolling back to a state Teleum no
longer has, and says what Teleum now rings.
"""

import logging

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import clean_context

from ..teleum_api import TeleumError
from ..tools import format_phone, normalize_phone

_logger = logging.getLogger(__name__)

POSITIONS = [
    ("first", "First: rings before the number's other forwards"),
    ("last", "After the others (before an answering machine, fax or e-mail)"),
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
    _rec_name = "title"

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
    title = fields.Char(compute="_compute_title")
    impact = fields.Html("What changes", compute="_compute_impact", sanitize=False,
                         help="Every caller of the number is routed; the number's forwards now and after.")
    timeout = fields.Integer(default=20, required=True, help="Seconds to ring before the next forward (5-30).")
    record = fields.Boolean("Record calls")
    position = fields.Selection(POSITIONS, default="first", required=True)
    callerid_type_id = fields.Many2one(
        "teleum.callerid.type", "Caller ID shown", compute="_compute_callerid_type_id", store=True,
        readonly=False, domain="[('account_id', '=', account_id), ('is_own', '=', False)]",
    )

    @api.model
    def _action_open(self, defaults):
        """The wizard's window, titled by what it would change with ``defaults`` (from a contact or lead)."""
        wizard = self.new({k: v for k, v in defaults.items() if v})
        return {
            "type": "ir.actions.act_window",
            "name": wizard.title,
            "res_model": self._name,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {f"default_{k}": v for k, v in defaults.items()},
        }

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

    @api.depends("number_id", "agent_id", "target", "ring_on")
    def _compute_title(self):
        for wizard in self:
            if wizard.number_id and wizard.target:
                wizard.title = _("Route calls to %(number)s to %(agent)s", number=wizard.number_id.display_name,
                                 agent=wizard._new_label())
            else:
                wizard.title = _("Route calls to an agent")

    def _new_label(self):
        """Who the new forward rings, in words (as the forwards' "Rings" column says it)."""
        if self.target_kind == "sip":
            user = self.sip_id.user_id or self.agent_id
            return _("%(agent)s (SIP %(line)s)", agent=user.name, line=self.target)
        person = self.agent_id.partner_id if self.ring_on == "mobile" else (self._customer() or self.lead_id)
        return _("%(name)s (%(number)s)", name=person.display_name, number=format_phone(self.target))

    def _existing_forward(self, ftype=None):
        """The number's forward that already rings the target (updated rather than doubled)."""
        if not (self.number_id and self.target):
            return self.env["teleum.forward"]
        domain = [("number_id", "=", self.number_id.id), ("target", "=", self.target),
                  ("type_id.kind", "=", self.target_kind)]
        if ftype:
            domain.append(("type_id", "=", ftype.id))
        return self.env["teleum.forward"].search(domain, limit=1)

    @api.depends("number_id", "target", "position", "agent_id", "ring_on")
    def _compute_impact(self):
        Forward = self.env["teleum.forward"]
        for wizard in self:
            if not (wizard.number_id and wizard.target):
                wizard.impact = False
                continue
            number = wizard.number_id
            current = Forward.search([("number_id", "=", number.id)])
            existing = wizard._existing_forward()
            rest = current - existing
            new = wizard._new_label()
            if wizard.position == "replace":
                after = [new]
            else:
                index = Forward._teleum_position_index(rest, wizard.position)
                labels = rest.mapped("rings_label")
                after = labels[:index] + [new] + labels[index:]
            then = _(", then ")
            customer = wizard._customer() or wizard.lead_id
            parts = [
                Markup("<p>%s</p>") % (
                    _("Every caller of %(number)s is routed, not only %(customer)s.", number=number.display_name,
                      customer=customer.display_name) if customer else
                    _("Every caller of %(number)s is routed.", number=number.display_name)),
                Markup("<p class='o_teleum_route_before'>%s</p>") % _(
                    "Rings now: %(chain)s", chain=then.join(current.mapped("rings_label")) or _("nobody")),
                Markup("<p class='o_teleum_route_after'><b>%s</b></p>") % _(
                    "Rings after: %(chain)s", chain=then.join(after)),
            ]
            wizard.impact = Markup("").join(parts)

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
        number = self.number_id
        # the form's default_* keys must not leak into the forwards the write path creates or reads back
        # (a replaced context: keyword arguments would only add keys)
        # (its own notification says what the number rings: none per forward written)
        Forward = self.env["teleum.forward"].with_context(  # pylint: disable=context-overridden
            dict(clean_context(self.env.context), teleum_no_confirm=True))
        client = number.account_id._get_client()
        before = self._teleum_live(client)
        try:
            with self.env.cr.savepoint():
                forward = self._apply(Forward, ftype)
        except (UserError, TeleumError) as exc:
            # Teleum may have taken part of it (the forward, not its place): Odoo shows what Teleum has
            if self._teleum_live(client) in (before, None):
                raise
            _logger.info("Routing %s: failed after Teleum's write (%s); number read again", number.number, exc)
            Forward._sync_number(number, client)
            forward = Forward.browse(self._existing_forward(ftype).ids)
            if forward:
                forward.with_context(teleum_sync=True).write(self._local_vals())
            chain = _(", then ").join(Forward.search([("number_id", "=", number.id)]).mapped("rings_label"))
            message = _("Teleum took only part of the change (%(error)s). Odoo now shows what Teleum has: "
                        "calls to %(number)s ring %(chain)s.", error=str(exc.args[0] if exc.args else exc),
                        number=number.display_name, chain=chain or _("nobody"))
            self._log(message)
            return self._notify(message, "warning")
        forward.invalidate_recordset()
        chain = _(", then ").join(Forward.search([("number_id", "=", number.id)]).mapped("rings_label"))
        message = _("Calls to %(number)s now ring %(chain)s.", number=number.display_name, chain=chain)
        self._log(message)
        return self._notify(message, "success")

    def _teleum_live(self, client):
        """Teleum's forwards of the number now, comparable (None when Teleum cannot be read)."""
        try:
            return [(f.id, f.type_id, f.target, f.timeout, f.record)
                    for f in self.env["teleum.forward"]._teleum_fresh(client, self.number_id)]
        except TeleumError:
            return None

    def _local_vals(self):
        return {"partner_id": self._customer().id or False, "lead_id": self.lead_id.id or False}

    def _apply(self, Forward, ftype):
        vals = dict(self._local_vals(), timeout=self.timeout, record=self.record)
        if self.callerid_type_id:
            vals["callerid_type_id"] = self.callerid_type_id.id
        forward = Forward.browse(self._existing_forward(ftype).ids)
        if forward:  # the number already rings there: update it rather than ring twice
            changed = {k: v for k, v in vals.items() if Forward._differs(forward, k, v)}
            if changed:
                forward.write(changed)
        else:
            forward = Forward.create(dict(vals, account_id=self.number_id.account_id.id,
                                          number_id=self.number_id.id, type_id=ftype.id, target=self.target))
        forward._teleum_place(self.position)
        return forward

    def _log(self, message):
        """A note on the customer's (or lead's) chatter: logged, so no sender e-mail is needed."""
        for record in (self.lead_id, self.partner_id):
            if record:
                record._message_log(body=Markup("<p>%s</p>") % message)

    def _notify(self, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": self.title, "message": message, "type": kind, "sticky": kind != "success",
                       "next": {"type": "ir.actions.act_window_close"}},
        }
