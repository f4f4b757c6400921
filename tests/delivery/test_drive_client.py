"""The Drive boundary on its own: the folder race, retries giving up, and refusals."""

from __future__ import annotations

import pytest

from leadreel.integrations import drive


def client(google, **overrides) -> drive.DriveClient:
    s = google.settings()
    config = drive.GoogleConfig(
        client_id=s["google_client_id"],
        client_secret=s["google_client_secret"],
        token_uri=s["google_token_uri"],
        api_base=s["google_api_base"],
        ca_bundle=s["google_ca_bundle"],
        chunk_size=256 * 1024,
        retry_seconds=0.001,
        **overrides,
    )
    return drive.DriveClient(config, google.issue_refresh_token())


def test_two_uploads_creating_one_batch_folder_end_in_the_same_folder(google):
    props = {"leadreel_install": "i", "leadreel_batch": "7"}
    rival: dict[str, str] = {}

    def another_worker_creates_it_first(meta):  # between our "find" and our "create"
        rival.update(google.add_file({**meta, "appProperties": props}))

    google.before_create = another_worker_creates_it_first
    with client(google) as c:
        folder = c.ensure_folder("Batch 7", props)
        assert folder == rival["id"]
        assert [f["id"] for f in google.files_with("leadreel_batch", "7")] == [rival["id"]]
        assert c.ensure_folder("Batch 7", props) == rival["id"]


def test_retries_give_up_with_a_transient_error(google):
    google.fail("list", 503, times=drive.RETRIES + 1)
    with client(google) as c, pytest.raises(drive.DriveTransientError, match="HTTP 503"):
        c.find({"leadreel_lead": "1"})


def test_a_refusal_is_not_retried(google):
    with client(google) as c, pytest.raises(drive.DriveRequestError, match="404"):
        c.share_with_anyone("no-such-file")
    assert google.count("POST", "/drive/v3/files/no-such-file/permissions") == 1


def test_invalid_grant_is_an_auth_error(google):
    google.refuse_refresh()
    with client(google) as c, pytest.raises(drive.DriveAuthError):
        c.account_email()


def test_config_refuses_a_bad_chunk_size():
    with pytest.raises(ValueError, match="256 KiB"):
        drive.GoogleConfig(client_id="x", client_secret="y", chunk_size=1000)
