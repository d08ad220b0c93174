"""Records that have calls: contacts, leads and (in the helpdesk bridge) tickets.

Each of them shows the same Calls button, Calls tab with the latest calls and, where calls can be
routed from it, who answers them, in the way ``mail.thread.phone`` serves every model with phone
numbers. A model gives only its calls (``_teleum_call_domain``) and, if its customer's calls can be
routed from its form, the route wizard's defaults (``_teleum_route_defaults``).

Extending an existing model with it needs ``_name`` as well as ``_inherit``
(``_name = "crm.lead"; _inherit = ["crm.lead", "teleum.call.holder.mixin"]``): with two parents
and no ``_name``, Odoo defines a new model named after the Python class ("CrmLead", a copy of
crm.lead) instead of extending crm.lead, and the registry stops at its first Many2many
("Many2many fields CrmLead.tag_ids and crm.lead.tag_ids use the same table and columns").
"""

from odoo import api, fields, models

RECENT_CALLS = 40


class TeleumCallHolderMixin(models.AbstractModel):
    _name = "teleum.call.holder.mixin"
    _description = "Record with Teleum calls"

    teleum_call_count = fields.Integer("Calls", compute="_compute_teleum_calls")
    teleum_recent_call_ids = fields.Many2many(
        "teleum.call", string="Latest calls", compute="_compute_teleum_calls",
        groups="teleum_telephony.group_teleum_own",
    )
    teleum_routing_summary = fields.Html(
        "Who answers", compute="_compute_teleum_routing", sanitize=False, groups="teleum_telephony.group_teleum_own")
    teleum_routing_forward_ids = fields.Many2many(
        "teleum.forward", string="Forwards", compute="_compute_teleum_routing",
        groups="teleum_telephony.group_teleum_own")

    _teleum_number_fields = ()  # fields whose change links calls (``_teleum_link_calls``)

    # ------------------------------------------------------------------ hooks
    def _teleum_call_domain(self):
        """The domain of this record's calls (one record)."""
        raise NotImplementedError

    def _teleum_link_calls(self):
        """Link to these records the calls of their numbers that belong to nobody yet."""
        return

    def _teleum_route_defaults(self):
        """{"partner": contact, "lead": lead} whose calls the route wizard routes from this record's
        form (empty recordsets, or no keys, where its calls are not routed from it)."""
        return {}

    # ------------------------------------------------------------------ fields
    @api.model
    def fields_get(self, allfields=None, attributes=None):
        # the stored number keys are an index for matching calls, not information a user would group
        # by, filter or sort on
        description = super().fields_get(allfields, attributes)
        for fname in ("teleum_phone_key", "teleum_mobile_key"):
            for attr in ("groupable", "searchable", "sortable"):
                if attr in description.get(fname, {}):
                    description[fname][attr] = False
        return description

    # ------------------------------------------------------------------ computes
    @api.depends_context("uid", "allowed_company_ids")  # what the user may see, not a shared cache
    def _compute_teleum_calls(self):
        Call = self.env["teleum.call"]
        allowed = Call.has_access("read")
        for record in self:
            if not record.id or not allowed:
                record.teleum_call_count = 0
                record.teleum_recent_call_ids = Call
                continue
            domain = record._teleum_call_domain()
            record.teleum_call_count = Call.search_count(domain)
            record.teleum_recent_call_ids = Call.search(domain, limit=RECENT_CALLS)

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_teleum_routing(self):
        Forward = self.env["teleum.forward"]
        for record in self:
            forwards = Forward
            if record.id:
                targets = record._teleum_route_defaults()
                forwards = Forward._teleum_routing_forwards(partner=targets.get("partner"), lead=targets.get("lead"))
            record.teleum_routing_forward_ids = forwards
            record.teleum_routing_summary = Forward._teleum_routing_summary(forwards)

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if any(vals.get(fname) for vals in vals_list for fname in self._teleum_number_fields):
            records._teleum_link_calls()
        # unknown callers' call-backs follow them to their new record (whatever gave the number:
        # "Create contact" from a call gives it as a default, not in vals_list)
        self.env["teleum.call"]._teleum_adopt_callbacks(records)
        return records

    def write(self, vals):
        res = super().write(vals)
        if any(fname in vals for fname in self._teleum_number_fields):
            self._teleum_link_calls()
            self.env["teleum.call"]._teleum_adopt_callbacks(self)
        return res

    # ------------------------------------------------------------------ actions
    def action_teleum_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("teleum_telephony.teleum_call_action")
        action["domain"] = self._teleum_call_domain()
        action["context"] = {"create": False}  # calls come from the PBX
        return action

    def action_teleum_route_calls(self):
        """Open the editor that makes one of our numbers ring this customer's agent."""
        self.ensure_one()
        targets = self._teleum_route_defaults()
        # titled by what it would change ("Route calls to 8 (812) … to Sam (SIP 103)")
        return self.env["teleum.route.calls.wizard"]._action_open(
            {"partner_id": targets.get("partner", self.env["res.partner"]).id,
             "lead_id": targets.get("lead", self.env["crm.lead"]).id})

    # ------------------------------------------------------------------ call-backs
    def _teleum_keep_one_callback(self):
        """One call-back per record, as the import keeps it: after a merge brought those of the merged
        records, the one waiting longest stays and the others go."""
        callback = self.env.ref("teleum_telephony.mail_activity_type_call_back", raise_if_not_found=False)
        if not callback or not self:
            return
        activities = self.env["mail.activity"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "in", self.ids), ("activity_type_id", "=", callback.id)],
            order="date_deadline, id")
        kept = set()
        extra = activities.browse()
        for activity in activities:
            if activity.res_id in kept:
                extra |= activity
            kept.add(activity.res_id)
        extra.unlink()
