"""README stays true: its commands and settings are the app's own (Datasette's habit)."""

from __future__ import annotations

import re
from pathlib import Path

from pwa import create_app
from pwa.cli import cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_command_is_in_the_readme():
    for name in cli.commands:
        if name in ("run",):  # Flask's development server: we document serve
            continue
        assert f"`{name}" in README, name


def test_every_serve_option_is_in_the_readme():
    for param in cli.commands["serve"].params:
        for option in param.opts:
            if option.startswith("--"):
                assert option in README, option


def test_every_setting_in_the_readme_is_one_the_app_reads(tmp_path):
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "t.sqlite3"),
                      "SECRET_KEY": "k"})
    named = set(re.findall(r"`TALENTKAART_([A-Z_]+)`", README))
    assert {"SECRET_KEY", "DATABASE", "PUBLIC_URL", "TRUSTED_HOSTS", "TRUSTED_PROXIES"} <= named
    assert named <= set(app.config), named - set(app.config)
