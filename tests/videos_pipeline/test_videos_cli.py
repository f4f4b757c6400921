"""`leadreel videos render --wait --json` and `leadreel videos list`: real renders, real
worker, share URLs built from LEADREEL_PUBLIC_URL."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from leadreel.cli import main
from leadreel.extensions import db
from leadreel.models import Company, Lead
from leadreel.services.setup import create_user
from leadreel.services.videos import demo_media, template_store

from .conftest import fake_capture, tiny_spec


@pytest.fixture
def cli_env(tmp_path, monkeypatch, demo_files):
    data = tmp_path / "data"
    monkeypatch.setenv("LEADREEL_DATA_DIR", str(data))
    monkeypatch.setenv("LEADREEL_SECRET_KEY", "cli-test")
    monkeypatch.setenv("LEADREEL_PUBLIC_URL", "https://videos.example.com")
    from leadreel.app import create_app

    app = create_app()
    settings = app.config["SETTINGS"]
    shutil.copytree(demo_files, settings.data_dir / "media" / "demo", dirs_exist_ok=True)
    with app.app_context():
        create_user(db.session, "admin@example.com", "longpassword1", "admin")
        demo_media.ensure_demo_media(db.session, settings, seconds=1.5, size=(320, 180))
        template_store.create_template(db.session, "Tiny", tiny_spec(db.session))
        company = Company(name="Acme", name_key="acme", screenshots=fake_capture(data / "shots"))
        db.session.add(company)
        db.session.flush()
        lead = Lead(first_name="Ann", email="ann@x.test", company_id=company.id)
        db.session.add(lead)
        db.session.commit()
        lead_id = lead.id
    yield CliRunner(), lead_id
    db.dispose()


def test_render_wait_json_then_list(cli_env):
    runner, lead_id = cli_env
    result = runner.invoke(
        main, ["videos", "render", "--lead", str(lead_id), "--template", "Tiny", "--wait", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 1 and rows[0]["status"] == "rendered" and rows[0]["lead_id"] == lead_id
    assert rows[0]["share_url"].startswith("https://videos.example.com/v/")
    assert {"id", "lead_id", "status", "share_url", "drive_url", "views", "plays"} <= set(rows[0])
    listed = runner.invoke(main, ["videos", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout) == rows
    text = runner.invoke(main, ["videos", "list"])
    assert rows[0]["share_url"] in text.output and "rendered" in text.output


def test_render_refuses_unclear_selection(cli_env):
    runner, lead_id = cli_env
    result = runner.invoke(main, ["videos", "render"])
    assert result.exit_code != 0 and "exactly one of" in result.output
    result = runner.invoke(main, ["videos", "render", "--batch", "nope"])
    assert result.exit_code != 0 and "no import batch named 'nope'" in result.output
    result = runner.invoke(main, ["videos", "render", "--lead", str(lead_id), "--template", "x"])
    assert result.exit_code != 0 and "no template named 'x'" in result.output
