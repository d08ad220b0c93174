from odoo.tools import SQL


def uninstall_hook(env):
    """What Odoo does not remove by itself: our indexes on res_partner (a table that stays), and the
    calls analysis' statistics (a table of no model, under the report's view) with their triggers'
    function."""
    for name in env["res.partner"]._TELEUM_TRIGRAM_INDEXES:
        env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
    env.cr.execute("DROP FUNCTION IF EXISTS teleum_call_stat_sync() CASCADE")  # and the triggers
    env.cr.execute("DROP TABLE IF EXISTS teleum_call_stat CASCADE")  # and the view teleum_call_report
