# Run by dev/i18n inside `odoo-bin shell`: export the addon's translation template.
# - Odoo's exporter walks the addons path following symlinks; this checkout holds .venv and .dev
#   (whose addons folder links back to the checkout), so hidden folders are skipped while walking;
#   so is bridges/ (the bridge modules there have translations of their own).
# - Babel does not extract a _() nested in the arguments of another _() call; such strings are
#   found with ast and added, so that they get a translation too.
import ast
import io
import os
from pathlib import Path
from unittest.mock import patch

import polib

from odoo.tools import translate

MODULE = "teleum_telephony"
ROOT = Path(os.environ["TELEUM_ROOT"])
_walk = os.walk


def walk_visible(top, *args, **kwargs):
    for root, dirs, files in _walk(top, *args, **kwargs):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("__pycache__", "bridges")]
        yield root, dirs, files


buf = io.BytesIO()
with patch.object(translate.os, "walk", walk_visible):
    translate.trans_export(None, [MODULE], buf, "po", env.cr)
pot = polib.pofile(buf.getvalue().decode())
known = {e.msgid for e in pot}
added = []
for folder in ("models", "wizard", "controllers", "tools"):
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "_lt")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                msgid = node.args[0].value
                if msgid not in known:
                    known.add(msgid)
                    rel = path.relative_to(ROOT).as_posix()
                    pot.append(polib.POEntry(msgid=msgid, msgstr="", comment=f"module: {MODULE}\nodoo-python",
                                             occurrences=[(f"code:addons/{MODULE}/{rel}", "0")]))
                    added.append(f"{rel}:{node.lineno}: {msgid}")
pot.sort(key=lambda e: e.msgid)
pot.wrapwidth = 78
pot.save(os.environ["TELEUM_POT"])
for line in added:
    print("[teleum] added (nested _() missed by Odoo's exporter):", line)
