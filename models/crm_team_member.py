from odoo import api, models


class CrmTeamMember(models.Model):
    _inherit = "crm.team.member"

    # A member joining or leaving a team changes what its leader sees (the team-calls rules,
    # cached per user: see crm_team.py).
    @api.model_create_multi
    def create(self, vals_list):
        members = super().create(vals_list)
        self._teleum_teams_changed()
        return members

    def write(self, vals):
        res = super().write(vals)
        if {"user_id", "crm_team_id", "active"} & set(vals):
            self._teleum_teams_changed()
        return res

    def unlink(self):
        res = super().unlink()
        self._teleum_teams_changed()
        return res

    def _teleum_teams_changed(self):
        self.env.registry.clear_cache()  # the rules
        self.env["res.users"].invalidate_model(["teleum_team_member_ids"])
