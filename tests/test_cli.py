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


def _deck_with(titles: list[str], hidden: tuple[int, ...] = ()) -> bytes:
    from conftest import build_deck

    return build_deck(titles, hidden=hidden)


def test_convert_a_slide_range_with_hidden_slides_and_a_report_file(tmp_path):
    deck = tmp_path / "d.pptx"
    deck.write_bytes(_deck_with(["one", "two", "three", "four"], hidden=(2,)))
    out, report = tmp_path / "o.pdf", tmp_path / "r" / "report.json"
    done = run_cli("convert", str(deck), "-o", str(out), "--slides", "2-4", "--report",
                   str(report), "-q")
    assert done.returncode == 0, done.stderr
    data = json.loads(report.read_text())
    assert data["rendered"] == [2, 4] and data["summary"]["slides_rendered"] == 2
    assert len(PdfReader(out).pages) == 2
    for flag in ("--hidden", "--include-hidden"):
        done = run_cli("convert", str(deck), "-o", str(out), "--slides", "2-4", flag, "--json")
        assert json.loads(done.stdout)["rendered"] == [2, 3, 4]


def test_convert_notes_pages(tmp_path):
    deck = tmp_path / "d.pptx"
    deck.write_bytes(_deck_with(["one", "two"]))
    out = tmp_path / "o.pdf"
    done = run_cli("convert", str(deck), "-o", str(out), "--notes", "-q")
    assert done.returncode == 0, done.stderr
    page = PdfReader(out).pages[0]
    assert float(page.mediabox.height) > float(page.mediabox.width)  # portrait notes page


def test_a_bad_slide_range_is_a_usage_error_and_writes_nothing(tmp_path):
    deck = tmp_path / "d.pptx"
    deck.write_bytes(_deck_with(["one", "two"]))
    for spec, says in (("3", "numbered 1 to 2"), ("2-1", "backwards"), ("x", "not a number")):
        done = run_cli("convert", str(deck), "-o", str(tmp_path / "o.pdf"), "--slides", spec)
        assert done.returncode == 2 and says in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "o.pdf").exists() and not (tmp_path / "o.pdf.part").exists()


def test_convert_a_folder_recursively_with_a_summary(corpus, tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.pptx").write_bytes(_deck_with(["one", "two"]))
    (folder / "sub" / "b.pptx").write_bytes(_deck_with(["x"]))
    (folder / "sub" / "b.pptm").write_bytes((corpus / "decks/poi/testPPT.pptm").read_bytes())
    (folder / "sub" / "locked.pptx").write_bytes(
        (corpus / "decks/openxml-sdk/encrypted_pptx.pptx").read_bytes())
    (folder / "notes.txt").write_text("not a deck")
    outdir, report = tmp_path / "out", tmp_path / "report.json"
    done = run_cli("convert", str(folder), "-o", str(outdir), "--report", str(report))
    assert done.returncode == 1  # one deck failed
    made = sorted(str(p.relative_to(outdir)) for p in outdir.rglob("*") if p.is_file())
    assert made == ["a.pdf", "sub/b.pdf", "sub/b.pptm.pdf"]
    assert len(PdfReader(outdir / "a.pdf").pages) == 2
    assert "[" + "#" * 30 + "] 4/4" in done.stderr  # the progress bar reached the end
    assert "converted 3 deck(s), 6 page(s)" in done.stderr
    assert "failed 1 (encrypted: 1)" in done.stderr and "slowest: " in done.stderr
    summary = json.loads(report.read_text())["summary"]
    assert summary["converted"] == 3 and summary["failed_by_code"] == {"encrypted": 1}
    assert summary["pages"] == 6 and summary["slowest"]["deck"].startswith(str(folder))


def test_a_folder_that_converts_cleanly_exits_zero_and_quietly(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.pptx").write_bytes(_deck_with(["one"]))
    done = run_cli("convert", str(folder), "-o", str(tmp_path / "out"), "-q")
    assert done.returncode == 0, done.stderr
    assert "#" not in done.stderr and "converted 1 deck(s)" in done.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_cli("convert", str(empty)).returncode == 2


def test_without_a_terminal_progress_is_lines_from_slide_1_and_errors_start_at_once(
    corpus, tmp_path
):
    deck = tmp_path / "many.pptx"
    deck.write_bytes(_deck_with([f"slide {n}" for n in range(1, 21)]))
    done = run_cli("convert", str(deck))  # stderr is a pipe, not a terminal
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("rendering")]
    assert progress[0] == "rendering slide 1 of 20"
    assert progress[-1] == "rendering slide 20 of 20" and len(progress) <= 11
    assert "rendering slide 0 of" not in done.stderr
    assert (tmp_path / "many.pdf").is_file()  # beside the deck, without -o
    failed = run_cli("convert", str(corpus / "decks/openxml-sdk/encrypted_pptx.pptx"),
                     "-o", str(tmp_path / "x.pdf"))
    assert failed.stderr.startswith("deckpipe: cannot convert"), failed.stderr
