"""A customer's routing: which forwards were set up for a customer or lead ("Route calls to an
agent"), who each forward rings, and the one-line summary shown on contact and lead forms."""

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.osv import expression


class TeleumForward(models.Model):
    _inherit = "teleum.forward"

    partner_id = fields.Many2one("res.partner", "Customer", index=True, check_company=True,
                                 help="The customer whose calls this forward routes (set by 'Route calls to an "
                                      "agent' on the customer's form).")
    lead_id = fields.Many2one("crm.lead", "Lead", index="btree_not_null", check_company=True,
                              help="The lead this forward was routed from ('Route calls to an agent').")
    rings_label = fields.Char("Rings", compute="_compute_rings_label",
                              help="Who this forward rings: the agent of a SIP line, a user or contact with "
                                   "that phone number, or the target itself.")

    @api.depends("target", "type_id.kind", "sip_id.user_id")
    def _compute_rings_label(self):
        phones = {f.target for f in self if f.type_id.kind == "phone" and f.target}
        people = {}
        if phones:
            # a name says more than a number; an Odoo user's contact wins over a customer's, then the oldest
            partners = self.env["res.partner"].search(
                ["|", ("teleum_mobile_key", "in", list(phones)), ("teleum_phone_key", "in", list(phones))])
            for partner in partners.sorted(lambda p: (not p.user_ids, p.id), reverse=True):
                for key in {partner.teleum_mobile_key, partner.teleum_phone_key} & phones:
                    people[key] = partner
        for rec in self:
            kind = rec.type_id.kind
            if kind == "sip":
                user = rec.sip_id.user_id
                rec.rings_label = (_("%(agent)s (SIP %(line)s)", agent=user.name, line=rec.target) if user
                                   else _("SIP %(line)s", line=rec.target))
            elif kind == "phone" and rec.target in people:
                rec.rings_label = _("%(name)s (+%(number)s)", name=people[rec.target].name, number=rec.target)
            elif kind == "phone":
                rec.rings_label = "+%s" % rec.target
            else:
                rec.rings_label = rec.display_name

    def action_teleum_remove(self):
        """Remove this forward from its number (on Teleum first), e.g. from a customer's form."""
        self.unlink()
        return True

    @api.model
    def _teleum_routing_forwards(self, partner=None, lead=None):
        """The forwards of the numbers that matter to a customer, in Teleum's order: the numbers
        routed from the customer's (or lead's) form and the number the customer last called."""
        if not self.has_access("read") or not (partner or lead):
            return self.browse()
        domain, calls = [], []
        if partner:
            domain.append([("partner_id", "child_of", partner.id)])
            calls = [("partner_id", "child_of", partner.id)]
        if lead:
            domain.append([("lead_id", "=", lead.id)])
            calls = lead._teleum_call_domain()
        numbers = self.search(expression.OR(domain)).number_id
        Call = self.env["teleum.call"]
        if Call.has_access("read"):
            numbers |= Call.search(calls + [("direction", "=", "inbound"), ("number_id", "!=", False)],
                                   limit=1).number_id
        return self.search([("number_id", "in", numbers.ids)]) if numbers else self.browse()

    @api.model
    def _teleum_routing_summary(self, forwards):
        """One line per number: "+7 800 … → Sam (SIP 101), then Anna (SIP 102)" (HTML, or False)."""
        lines = []
        for number in forwards.number_id:
            chain = forwards.filtered(lambda f, number=number: f.number_id == number)
            lines.append(Markup("<div>%s</div>") % _("%(number)s → %(chain)s", number=number.display_name,
                                                        chain=_(", then ").join(chain.mapped("rings_label"))))
        return Markup("").join(lines) or False
