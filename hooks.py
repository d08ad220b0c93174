from odoo.tools import SQL


def uninstall_hook(env):
    """What Odoo does not remove by itself: our indexes on res_partner (a table that stays), and the
    hourly call statistics (a table of no model) with their triggers' function."""
    for name in env["res.partner"]._TELEUM_TRIGRAM_INDEXES:
        env.cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(name)))
    env.cr.execute("DROP FUNCTION IF EXISTS teleum_call_hourly_sync() CASCADE")  # and the triggers
    env.cr.execute("DROP TABLE IF EXISTS teleum_call_hourly")
