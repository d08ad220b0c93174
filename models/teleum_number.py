from odoo import _, api, fields, models

from ..tools import format_phone, normalize_phone


class TeleumNumber(models.Model):
    _name = "teleum.number"
    # activities: the call-backs of unknown callers of this number (see teleum.call._teleum_callbacks)
    _inherit = ["teleum.binding.mixin", "mail.thread", "mail.activity.mixin"]
    _description = "Teleum Number"
    _order = "number"
    _rec_name = "number_formatted"

    number = fields.Char("Number (E.164)", required=True, index=True, readonly=True,
                         help="International number without '+', as Teleum writes it.")
    number_formatted = fields.Char("Number", readonly=True)
    connected_tariff_ids = fields.One2many("teleum.connected.tariff", "number_id", string="Tariffs")
    tariff_name = fields.Char("Tariff", compute="_compute_tariff_name")
    forward_ids = fields.One2many("teleum.forward", "number_id", string="Forwards")
    forward_count = fields.Integer(compute="_compute_forward_count")
    # Automatic leads for unknown callers (used by the call import)
    auto_lead = fields.Boolean("Create leads for unknown callers",
                               help="An inbound call from a number that matches no contact creates a lead.")
    lead_team_id = fields.Many2one("crm.team", "Sales team", check_company=True)
    lead_user_id = fields.Many2one("res.users", "Salesperson")
    callback_user_id = fields.Many2one(
        "res.users", "Calls back unknown callers", check_company=True,
        help="Who gets the call-back of a missed call from a number that is no contact nor lead. Empty: "
             "the agent of the line that rang, else the salesperson of the automatic leads. Give it to "
             "someone who sees the calls of this number (Team or All Calls) so that they can open them.")

    _sql_constraints = [
        ("number_account_uniq", "unique(account_id, number)", "A number is connected once per account."),
    ]

    def _compute_tariff_name(self):
        for rec in self:
            rec.tariff_name = ", ".join(rec.connected_tariff_ids.mapped("name"))

    def _compute_forward_count(self):
        for rec in self:
            rec.forward_count = len(rec.forward_ids)

    @api.depends("number_formatted", "number")
    def _compute_display_name(self):
        for rec in self:
            rec.display_name = format_phone(rec.number) or rec.number_formatted or _("New number")

    @api.model
    def _sync_from_teleum(self, account, client, tariffs=None):
        """Connected numbers, with the id Teleum uses for them elsewhere.

        getConnectedNumbers gives no id: it is found by number in getRCIDs (the numbers that can be
        presented as caller ID) and getConnectedTariffs (the numbers tariffs are attached to;
        ``tariffs``: its answer when the caller has already read it).
        """
        ids_by_number = {}
        for tariff in client.get_connected_tariffs() if tariffs is None else tariffs:
            if tariff.number_id and tariff.number:
                ids_by_number[normalize_phone(tariff.number)] = tariff.number_id
        for rcid in client.get_rcids():
            ids_by_number.setdefault(normalize_phone(rcid.number_formatted), rcid.id)
        items = {}
        for num in client.get_connected_numbers():
            key = normalize_phone(num.number) or num.number
            items[key] = {"number_formatted": num.number_formatted or False,
                          "teleum_id": ids_by_number.get(key) or False}
        result = self._bind(account, items, key="number")
        # the tariffs were synced before their numbers existed: link them now
        tariffs = self.env["teleum.connected.tariff"].search([("account_id", "=", account.id)])
        tariffs._compute_number_id()
        return result

    def action_open_forwards(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("teleum_telephony.teleum_forward_action")
        action["domain"] = [("number_id", "=", self.id)]
        action["context"] = {"default_number_id": self.id}
        return action

    def action_add_forward(self):
        """A new forward of this number (a new number rings nobody until it has one)."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "name": _("Add a forward"), "res_model": "teleum.forward",
            "view_mode": "form", "views": [(False, "form")], "target": "new",
            "context": {"default_number_id": self.id, "default_account_id": self.account_id.id},
        }

    def action_refresh_forwards(self):
        """Read this number's forwards from Teleum again."""
        for number in self:
            self.env["teleum.forward"]._sync_number(number, number.account_id._get_client())
        return True
