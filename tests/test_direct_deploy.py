"""The deploy dry run names what direct transfer needs beyond the functions: the signing
role, the bucket's finalize notification and its CORS rule (deckpipe.direct)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from deckpipe import cli
from deckpipe.provision.plan import cors_policy
from deckpipe_deploy import command

ENV = """\
GOOGLE_CLOUD_PROJECT: deckpipe-dry-run
DECKPIPE_BUCKET: deckpipe-dry-run-decks
DECKPIPE_TOPIC: deckpipe-jobs
DECKPIPE_ALLOWED_ORIGINS: https://decks.example.com
"""


def test_dry_run_names_the_signing_role_the_notification_and_cors(tmp_path: Path, capsys,
                                                                    monkeypatch):
    monkeypatch.setattr(command.subprocess, "run", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("a dry run must not run anything")))
    env = tmp_path / "env.yaml"
    env.write_text(textwrap.dedent(ENV))
    code = cli.main(["deploy", "--dry-run", "--env-file", str(env), "--build-dir",
                     str(tmp_path / "build"), "--region", "europe-west1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "roles/iam.serviceAccountTokenCreator" in err
    assert ("gcloud iam service-accounts add-iam-policy-binding "
            "PROJECT_NUMBER-compute@developer.gserviceaccount.com") in err
    assert "topic deckpipe-jobs-uploads" in err and "/finalized" in err
    assert "gs://deckpipe-dry-run-decks" in err
    upload_origin = "https://europe-west1-deckpipe-dry-run.cloudfunctions.net"
    assert f"from https://decks.example.com, {upload_origin}" in err
    assert "iamcredentials" not in out  # standard output stays a runnable script


def test_bucket_cors_allows_exactly_the_direct_upload_requests():
    from deckpipe.config import load_settings

    settings = load_settings({
        "GOOGLE_CLOUD_PROJECT": "deckpipe-dry-run", "DECKPIPE_BUCKET": "b-decks",
        "DECKPIPE_TOPIC": "deckpipe-jobs", "DECKPIPE_STATUS_URL": "https://s.example.com",
        "DECKPIPE_RESULT_URL": "https://r.example.com",
        "DECKPIPE_UPLOAD_URL": "https://u.example.com/upload",
        "DECKPIPE_ALLOWED_ORIGINS": "https://decks.example.com"})
    assert cors_policy(settings) == [{
        "origin": ["https://decks.example.com", "https://u.example.com"],
        "method": ["PUT"],
        "responseHeader": ["Content-Range", "Content-Type", "Range"],
        "maxAgeSeconds": 3600,
    }]
