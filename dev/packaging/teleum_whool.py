"""The build backend of the addon's wheel (pyproject.toml): OCA's whool, fitted to this repository.

whool names the addon after its folder and packs every file git tracks in that folder. Here the
addon is the repository root, which may be called anything (a clone, a worktree, CI's checkout)
and also holds the project's tooling. So the build runs on a link named after the addon
([tool.teleum-wheel] addon), and the paths of [tool.teleum-wheel] exclude are then taken out of
the wheel and of its RECORD. Name, version (manifest + git commits), dependencies and files
otherwise are whool's. It calls whool's internals (_get_metadata, _make_dist_info,
_build_wheel), which is why whool is pinned (pyproject.toml, requirements/dev.txt).
"""

import contextlib
import csv
import io
import os
import subprocess
import tempfile
import tomllib
import zipfile
from pathlib import Path

from whool import buildapi


def _settings():
    # Without git, whool would pack the whole folder (.venv, .dev and all): refuse instead.
    try:
        subprocess.run(["git", "ls-files", "--error-unmatch", "__manifest__.py"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise RuntimeError(
            "The addon's wheel is built from a git checkout (whool packs the files git tracks): "
            f"`git ls-files` failed in {Path.cwd()}"
        ) from e
    with open("pyproject.toml", "rb") as f:
        settings = tomllib.load(f)["tool"]["teleum-wheel"]
    return settings["addon"], [path.rstrip("/") for path in settings["exclude"]]


@contextlib.contextmanager
def _addon_link(addon):
    """The source folder (the current one, as in every build hook) under the addon's name."""
    with tempfile.TemporaryDirectory() as tmp:
        link = Path(tmp, addon)
        link.symlink_to(Path.cwd(), target_is_directory=True)
        yield link


def _leave_out(wheel, addon, exclude):
    """Rewrite WHEEL without the files under odoo/addons/ADDON/<an excluded path>."""
    root = f"odoo/addons/{addon}/"

    def excluded(name):
        if not name.startswith(root):
            return False
        rel = name[len(root) :]
        return any(rel == path or rel.startswith(path + "/") for path in exclude)

    new = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(new, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if excluded(info.filename):
                continue
            data = src.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                out = io.StringIO()
                csv.writer(out, lineterminator="\n").writerows(
                    row for row in csv.reader(io.StringIO(data.decode())) if row and not excluded(row[0])
                )
                data = out.getvalue().encode()
            dst.writestr(info, data)
    os.replace(new, wheel)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    addon, _exclude = _settings()
    with _addon_link(addon) as addon_dir:
        return buildapi._make_dist_info(buildapi._get_metadata(addon_dir), Path(metadata_directory))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    addon, exclude = _settings()
    with _addon_link(addon) as addon_dir:
        name = buildapi._build_wheel(addon_dir, Path(wheel_directory).resolve(), editable=False)
    _leave_out(Path(wheel_directory, name), addon, exclude)
    return name
