from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.teleum_telephony.tools import format_phone


class TeleumCall(models.Model):
    _inherit = "teleum.call"

    # The stored link is for administrators only: a Many2one shows its record's name to whoever reads
    # the call (Odoo reads it as superuser), and a ticket may be hidden from a user who sees the call.
    # Everybody else gets ``ticket_id``, empty when they may not read the ticket.
    helpdesk_ticket_id = fields.Many2one("helpdesk.ticket", "Ticket link", readonly=True, copy=False,
                                         ondelete="set null", index="btree_not_null", groups="base.group_system")
    ticket_id = fields.Many2one("helpdesk.ticket", "Ticket", compute="_compute_ticket_id",
                                help="The helpdesk ticket opened from this call.")
    has_ticket = fields.Boolean(compute="_compute_ticket_id")

    @api.depends("helpdesk_ticket_id")
    @api.depends_context("uid")
    def _compute_ticket_id(self):
        stored = {call.id: call.sudo().helpdesk_ticket_id.id for call in self}
        Ticket = self.env["helpdesk.ticket"]
        readable = Ticket.browse({t for t in stored.values() if t}).exists()
        if not self.env.su:
            readable = readable._filtered_access("read")
        for call in self:
            ticket = Ticket.browse(stored[call.id])
            call.has_ticket = bool(ticket)
            call.ticket_id = ticket if ticket in readable else False

    # ------------------------------------------------------------------ tickets from calls
    def _teleum_ticket_values(self):
        """A new ticket for the caller of this call: contact, phone channel, the call in the description."""
        self.ensure_one()
        number = format_phone(self.remote_number) or self.src or ""
        date = "%s (%s)" % (self.call_date_local or fields.Datetime.to_string(self.call_date) or "",
                            self.account_id.timezone or "Europe/Moscow")
        lines = [
            (_("Date"), date),
            (_("Number"), number),
            (_("Teleum number"), self.number_id.display_name or self.dst or ""),
            (_("Status"), dict(self._fields["status"]._description_selection(self.env)).get(self.status, "")),
            (_("Agent"), self.user_id.name or self.sip_id.display_name or _("nobody")),
        ]
        items = Markup().join(Markup("<li>%s: %s</li>") % (label, value) for label, value in lines)
        if self.recording_id:
            items += Markup('<li>%s: <a href="%s/teleum/recording/%d" target="_blank">%s</a></li>') % (
                _("Recording"), self.get_base_url(), self.id, _("listen"))
        if self.missed:
            name = _("Missed call from %(number)s", number=number)
        elif self.direction == "outbound":
            name = _("Call to %(number)s", number=number)
        else:
            name = _("Call from %(number)s", number=number)
        channel = (self.number_id.ticket_channel_id
                   or self.env.ref("helpdesk_mgmt.helpdesk_ticket_channel_phone", raise_if_not_found=False))
        return {
            "name": name,
            "partner_id": self.partner_id.id or False,
            "partner_name": self.partner_id.name or False,
            "partner_email": self.partner_id.email or False,
            "teleum_phone": number or False,
            "channel_id": channel.id if channel else False,
            "team_id": self.number_id.ticket_team_id.id or False,
            "company_id": self.company_id.id,
            "description": Markup("<p>%s</p><ul>%s</ul>") % (_("Opened from a Teleum call."), items),
        }

    def action_create_ticket(self):
        """Open a ticket for the caller of this call, in the number's team, assigned to the call's
        agent (or to the user who asks for it when the agent cannot take helpdesk tickets)."""
        self.ensure_one()
        # who may read the call may open a ticket from it (writing a call is its agent's or a manager's)
        self.check_access("read")
        if self.sudo().helpdesk_ticket_id:
            raise UserError(_("A ticket was already opened from this call."))
        vals = dict(self._teleum_ticket_values(), user_id=self._teleum_ticket_assignee().id)
        ticket = self.env["helpdesk.ticket"].create(vals)
        self.sudo().helpdesk_ticket_id = ticket
        return {"type": "ir.actions.act_window", "res_model": "helpdesk.ticket", "res_id": ticket.id,
                "view_mode": "form", "views": [(False, "form")], "target": "current"}

    def _teleum_ticket_assignee(self):
        """The call's agent when they take tickets (of the number's team, when it has one), else the
        user who asks."""
        agent, team = self.user_id, self.number_id.ticket_team_id
        if (agent and not agent.share and agent.has_group("helpdesk_mgmt.group_helpdesk_user_own")
                and (not team or agent in team.user_ids)):
            return agent
        return self.env.user

    def action_open_ticket(self):
        self.ensure_one()
        if not self.ticket_id:
            raise UserError(_("You may not read the ticket of this call."))
        return {"type": "ir.actions.act_window", "res_model": "helpdesk.ticket", "res_id": self.ticket_id.id,
                "view_mode": "form", "views": [(False, "form")], "target": "current"}

    # ------------------------------------------------------------------ import hooks
    def _after_import(self, *args, **kwargs):
        # tickets first: a missed call's call-back (in super) then goes to the ticket just opened;
        # a blacklisted number opens none
        calls = self.filtered(lambda c: c.remote_number and c.call_date and not c.blacklisted)
        for company in calls.company_id:
            calls.filtered(lambda c, company=company: c.company_id == company)._teleum_auto_tickets()
        return super()._after_import(*args, **kwargs)

    def _teleum_callbacks(self, company, *args, **kwargs):
        res = super()._teleum_callbacks(company, *args, **kwargs)
        self._teleum_close_ticket_callbacks(company)
        return res

    def _teleum_close_ticket_callbacks(self, company):
        """An answered call with a caller whose ticket holds a call-back closes it when it is the
        caller's last word (the contact's and the lead's are closed by the main addon)."""
        answered = self.filtered(lambda c: c.status == "answered" and c.remote_number)
        tickets = self.env["helpdesk.ticket"]._teleum_tickets_of_callers(answered)
        if not tickets:
            return
        callback = self.env.ref("teleum_telephony.mail_activity_type_call_back")
        acts = self.env["mail.activity"].sudo().search([
            ("activity_type_id", "=", callback.id), ("res_model", "=", "helpdesk.ticket"),
            ("res_id", "in", tickets.ids)])
        if not acts:
            return
        held = {}  # key -> the call-backs on that caller's tickets
        for call in answered:
            if call.remote_number not in held:
                ids = tickets._teleum_of_caller(call).ids
                held[call.remote_number] = acts.filtered(lambda a, ids=ids: a.res_id in ids)
        keys = [k for k, found in held.items() if found]
        if not keys:
            return
        self.env["teleum.call"].flush_model(["remote_number", "call_date", "missed", "status", "company_id"])
        self.env.cr.execute(
            """SELECT remote_number, max(call_date) FILTER (WHERE missed),
                      max(call_date) FILTER (WHERE status = 'answered')
                 FROM teleum_call WHERE company_id = %s AND remote_number = ANY(%s)
             GROUP BY remote_number""", (company.id, keys))
        done = acts.browse()
        for key, missed, answered_at in self.env.cr.fetchall():
            if answered_at and (not missed or answered_at > missed):
                done |= held[key]
        if done:
            done.action_feedback(feedback=_("Done by itself: a later call with this number was answered."))

    def _teleum_auto_tickets(self):
        """A missed call from a number that matches no contact, to a Teleum number that asks for it,
        opens one ticket per caller (or joins the caller's open ticket)."""
        candidates = self._teleum_recent().filtered(
            lambda c: c.missed and not c.blacklisted and not c.partner_id and c.number_id.auto_ticket
            and len(c.remote_number) >= 7)
        if not candidates:
            return
        Ticket = self.env["helpdesk.ticket"].sudo()
        tickets = Ticket._teleum_tickets_of_callers(candidates).filtered(lambda t: not t.stage_id.closed)
        first = {}
        for call in candidates.sorted("call_date"):
            first.setdefault(call.remote_number, call)
        found = {key: tickets._teleum_of_caller(call)[:1] for key, call in first.items()}
        new = [key for key, ticket in found.items() if not ticket]
        if new:
            # unassigned (helpdesk_mgmt's auto-assignment would give them to the cron's user)
            created = Ticket.with_context(mail_create_nolog=True).create(
                [dict(first[key]._teleum_ticket_values(), user_id=False) for key in new])
            found.update(zip(new, created))
        for key, ticket in found.items():
            candidates.filtered(lambda c, key=key: c.remote_number == key).sudo().helpdesk_ticket_id = ticket

    def _teleum_callback_targets(self):
        """A caller with a ticket gets the call-back on the ticket: the ticket that already holds one,
        else, unless the contact/lead already holds one, the caller's newest open ticket if the
        user who would call back may read it."""
        records = super()._teleum_callback_targets()
        calls = self.filtered("remote_number")
        tickets = self.env["helpdesk.ticket"]._teleum_tickets_of_callers(calls)
        if not tickets:
            return records
        callback = self.env.ref("teleum_telephony.mail_activity_type_call_back")
        held_by = [("helpdesk.ticket", tickets.ids)]
        for model in {m for m, _i in records.values()}:
            held_by.append((model, [i for m, i in records.values() if m == model]))
        held = {
            (a["res_model"], a["res_id"])
            for model, ids in held_by
            for a in self.env["mail.activity"].sudo().search_read(
                [("activity_type_id", "=", callback.id), ("res_model", "=", model), ("res_id", "in", ids)],
                ["res_model", "res_id"])
        }
        seen = set()
        for call in calls.sorted("call_date", reverse=True):
            if call.remote_number in seen:
                continue
            seen.add(call.remote_number)
            mine = tickets._teleum_of_caller(call)
            if not mine:
                continue
            holding = mine.filtered(lambda t: ("helpdesk.ticket", t.id) in held)
            if holding:
                records[call.remote_number] = ("helpdesk.ticket", holding[0].id)
            elif records.get(call.remote_number) not in held:
                open_ticket = mine.filtered(lambda t: not t.stage_id.closed)[:1]
                # an activity shows its record's name: only for someone who may read the ticket
                user = open_ticket and call._teleum_callback_user(open_ticket)
                if user and open_ticket.with_user(user).has_access("read"):
                    records[call.remote_number] = ("helpdesk.ticket", open_ticket.id)
        return records

    def _teleum_callback_user(self, record):
        # the ticket's assignee first
        if record._name == "helpdesk.ticket" and record.user_id:
            return record.user_id
        return super()._teleum_callback_user(record)
