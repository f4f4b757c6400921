"""`leadreel assistant`: one turn on the command line, JSON out, --yes confirms."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import func, select

from leadreel.app import create_app
from leadreel.cli import main
from leadreel.extensions import db as _db
from leadreel.models import ProcessingTask, Video
from tests.agent.conftest import build_world


def test_assistant_command(tmp_path, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setenv("LEADREEL_DATA_DIR", str(data))
    monkeypatch.setenv("LEADREEL_SECRET_KEY", "cli-secret")
    monkeypatch.setenv("LEADREEL_ASSISTANT_PROVIDER", "offline")
    build_world(create_app())
    runner = CliRunner()

    ask = runner.invoke(main, ["assistant", "--user", "rep@x.test", "--batch", "March expo",
                               "render videos for the selected leads"])
    assert ask.exit_code == 0, ask.output
    out = json.loads(ask.output)
    assert out["reply"] == "I will render 3 videos with template Default. Confirm to go ahead."
    assert out["pending"][0]["plan"] == "render 3 videos with template Default"
    assert "token" not in out["pending"][0] and out["confirmed"] == []

    yes = runner.invoke(main, ["assistant", "--user", "rep@x.test", "--batch", "March expo",
                               "--yes", "render videos for the selected leads"])
    assert yes.exit_code == 0, yes.output
    confirmed = json.loads(yes.output)["confirmed"]
    assert confirmed[0]["ok"] and confirmed[0]["reply"] == "Started 3 renders with Default."
    app = create_app()
    with app.app_context():
        assert _db.session.scalar(select(func.count(Video.id))) == 3
        assert _db.session.scalar(select(func.count(ProcessingTask.id))) == 3

    count = runner.invoke(main, ["assistant", "--user", "rep@x.test", "how many leads?"])
    assert json.loads(count.output)["tool_calls"][0]["result"]["count"] == 4

    other = runner.invoke(main, ["assistant", "--user", "rep@x.test", "--batch", "Sam's list",
                                 "how many leads?"])
    assert other.exit_code != 0 and "no batch named" in other.output
    nobody = runner.invoke(main, ["assistant", "--user", "nobody@x.test", "hi"])
    assert nobody.exit_code != 0 and "no active user" in nobody.output
