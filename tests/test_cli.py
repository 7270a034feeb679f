"""`deckpipe convert` as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

from pypdf import PdfReader


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "deckpipe.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_convert_writes_a_pdf_and_reports(corpus, tmp_path):
    out = tmp_path / "out.pdf"
    done = run_cli("convert", str(corpus / "decks/poi/testPPT.pptx"), "-o", str(out), "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["output"] == str(out) and report["pages"] == 3
    assert len(PdfReader(out).pages) == 3
    assert "rendering slide 3 of 3" in done.stderr


def test_convert_defaults_the_output_name(corpus, tmp_path):
    deck = tmp_path / "talk.pptx"
    deck.write_bytes((corpus / "decks/poi/testPPT.pptx").read_bytes())
    assert run_cli("convert", str(deck), "-q").returncode == 0
    assert (tmp_path / "talk.pdf").is_file()


def test_convert_fails_clearly_and_leaves_no_partial_file(corpus, tmp_path):
    out = tmp_path / "x.pdf"
    done = run_cli("convert", str(corpus / "decks/openxml-sdk/encrypted_pptx.pptx"), "-o", str(out))
    assert done.returncode == 1
    assert "password-protected" in done.stderr and "(encrypted)" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
    missing = run_cli("convert", str(tmp_path / "nope.pptx"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
