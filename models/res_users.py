from odoo import api, fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    teleum_team_member_ids = fields.Many2many(
        "res.users", string="Members of the teams led", compute="_compute_teleum_team_member_ids",
        help="The members of the sales teams this user leads: the agents whose calls a user with "
             "'Team Calls' sees (record rules read it).")

    @api.depends_context("uid")
    def _compute_teleum_team_member_ids(self):
        teams = self.env["crm.team"].sudo().search([("user_id", "in", self.ids)])
        for user in self:
            user.teleum_team_member_ids = teams.filtered(lambda t, user=user: t.user_id == user).member_ids
