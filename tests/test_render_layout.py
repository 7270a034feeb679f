"""Text layout: where lines land (baselines, left edges, sizes) read back from the PDF."""

from __future__ import annotations

import io

import pptx
import pytest
from lxml import etree
from pptx.util import Pt
from pypdf import PdfReader

from deckpipe.render import fonts, render_deck, shaping

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
BOX_X, BOX_Y, BOX_W = 72, 72, 360  # points


def _deck(paragraphs: list[str], height: float, body_pr: str = "", size: int = 20):
    """One slide, one text box at (72, 72) pt of ``height`` pt holding ``paragraphs``
    (``a:p`` inner XML each, or plain text), default insets, ``body_pr`` children."""
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    box = slide.shapes.add_textbox(Pt(BOX_X), Pt(BOX_Y), Pt(BOX_W), Pt(height))
    tx = box.text_frame._txBody
    body = tx.find(A + "bodyPr")
    for child in list(body):
        body.remove(child)
    body.set("wrap", "square")
    if body_pr:
        body.append(etree.fromstring(f'<a:x xmlns:a="{A[1:-1]}">{body_pr}</a:x>')[0])
    for p in tx.findall(A + "p"):
        tx.remove(p)
    for inner in paragraphs:
        if not inner.startswith("<"):
            inner = f'<a:r><a:rPr lang="en-US" sz="{size * 100}"/><a:t>{inner}</a:t></a:r>'
        tx.append(etree.fromstring(f'<a:p xmlns:a="{A[1:-1]}">{inner}</a:p>'))
    out = io.BytesIO()
    prs.save(out)
    out.seek(0)
    return out


def _spans(deck) -> list[tuple[str, float, float, float]]:
    """(text, x, baseline y from the top, font size) of every string drawn on page 1."""
    out = io.BytesIO()
    render_deck(deck, out)
    page = PdfReader(io.BytesIO(out.getvalue())).pages[0]
    height = float(page.mediabox.height)
    spans: list[tuple[str, float, float, float]] = []

    def visit(text, cm, tm, font, size):
        if not text.strip():
            return
        _, _, _, d, x, y = tm
        ca, cb, cc, cd, ce, cf = cm
        px, py = ca * x + cc * y + ce, cb * x + cd * y + cf
        scale = (abs(d * cd) or 1.0) if size else 1.0
        spans.append((text.strip(), px, height - py, size * scale))

    page.extract_text(visitor_text=visit)
    return spans


def _find(spans, word: str) -> tuple[str, float, float, float]:
    return next(s for s in spans if word in s[0])


def test_percent_paragraph_spacing_is_of_the_font_size():
    spc = '<a:pPr><a:spcBef><a:spcPct val="50000"/></a:spcBef></a:pPr>'
    run = '<a:r><a:rPr lang="en-US" sz="2000"/><a:t>{}</a:t></a:r>'
    spans = _spans(_deck([run.format("First"), spc + run.format("Second")], 200))
    first, second = _find(spans, "First"), _find(spans, "Second")
    # one 1.2 x 20 pt line, then 50% of the 20 pt size (not of the 24 pt line)
    assert abs((second[2] - first[2]) - (24 + 10)) < 0.2
    # the first paragraph's space before is not applied: baseline at inset + size
    assert abs(first[2] - (BOX_Y + 3.6 + 20)) < 0.3


def test_norm_autofit_shrinks_overflowing_text_to_fit():
    lines = [f"Line number {i}" for i in range(10)]  # 10 x 24 pt of text in 112.8 pt
    fitted = _spans(_deck(lines, 120, "<a:normAutofit/>"))
    plain = _spans(_deck(lines, 120))
    assert all(abs(s[3] - 20) < 0.01 for s in plain)
    sizes = {round(s[3], 2) for s in fitted}
    # the largest whole-percent stretch that fits: 10 x 1.2 x size <= 112.8
    assert len(sizes) == 1 and 8.5 < sizes.pop() <= 9.4
    last = _find(fitted, "Line number 9")
    assert last[2] < BOX_Y + 120  # the last baseline is inside the box


def test_norm_autofit_applies_the_saved_font_scale():
    spans = _spans(_deck(["Short", "Text"], 120, '<a:normAutofit fontScale="50000"/>'))
    assert all(abs(s[3] - 10) < 0.01 for s in spans)


def test_norm_autofit_without_a_saved_scale_leaves_fitting_text_alone():
    spans = _spans(_deck(["Short", "Text"], 120, "<a:normAutofit/>"))
    assert all(abs(s[3] - 20) < 0.01 for s in spans)


def test_saved_line_spacing_reduction_is_not_applied_to_text_that_fits():
    # LibreOffice 7.4 ignores lnSpcReduction (the references): fitting text
    # keeps its full 1.2 x size line pitch
    plain = _spans(_deck(["One", "Two"], 200, '<a:normAutofit fontScale="100000"/>'))
    tight = _spans(_deck(["One", "Two"], 200,
                         '<a:normAutofit fontScale="100000" lnSpcReduction="20000"/>'))
    gap = lambda spans: _find(spans, "Two")[2] - _find(spans, "One")[2]  # noqa: E731
    assert gap(tight) == pytest.approx(gap(plain)) == pytest.approx(24, abs=0.1)


def test_trailing_empty_paragraphs_do_not_shrink_text():
    # 3 lines of text fit in 100 pt; with 3 empty paragraphs after them they would not
    spans = _spans(_deck(["One", "Two", "Three", "", "", ""], 100, "<a:normAutofit/>"))
    assert all(abs(s[3] - 20) < 0.01 for s in spans)


def test_final_line_break_opens_an_empty_line():
    run = '<a:r><a:rPr lang="en-US" sz="2000"/><a:t>Word</a:t></a:r>'
    br = '<a:br><a:rPr lang="en-US" sz="2000"/></a:br>'
    top = _find(_spans(_deck([run + br], 200)), "Word")
    assert abs(top[2] - (BOX_Y + 3.6 + 20)) < 0.3  # top anchored: first line in place
    prs = pptx.Presentation(_deck([run + br], 200))
    prs.slides[0].shapes[0].text_frame._txBody.find(A + "bodyPr").set("anchor", "b")
    out = io.BytesIO()
    prs.save(out)
    out.seek(0)
    bottom = _find(_spans(out), "Word")
    # bottom anchored: the empty second line (24 pt) sits under the word's line
    assert abs(bottom[2] - (BOX_Y + 200 - 3.6 - 24 - 4)) < 0.3


def test_bullet_hangs_at_indent_and_text_starts_at_left_margin():
    ppr = (
        '<a:pPr marL="342900" indent="-342900"><a:buFont typeface="Arial"/>'
        '<a:buChar char="&#8226;"/></a:pPr>'
    )
    run = '<a:r><a:rPr lang="en-US" sz="2000"/><a:t>Bulleted</a:t></a:r>'
    spans = _spans(_deck([ppr + run], 200))
    text, bullet = _find(spans, "Bulleted"), _find(spans, "\u2022")
    assert abs(text[1] - (BOX_X + 7.2 + 27)) < 0.2
    assert abs(bullet[1] - (BOX_X + 7.2)) < 0.2


@pytest.mark.parametrize(
    ("scheme", "n", "label"),
    [("arabicPeriod", 3, "3."), ("alphaUcParenR", 2, "B)"), ("romanLcPeriod", 4, "iv."),
     ("alphaLcParenBoth", 28, "(bb)"), ("arabicPlain", 7, "7"), ("circleNumDbPlain", 3, "\u2462"),
     ("arabicDbPeriod", 12, "\uff11\uff12."), ("romanUcPeriod", 1994, "MCMXCIV.")],
)
def test_auto_numbering_schemes(scheme, n, label):
    from deckpipe.render.text import _autonum

    assert _autonum(scheme, n) == label


def test_picture_bullets_are_approximated_by_a_round_bullet():
    para = '<a:pPr marL="342900" indent="-342900"><a:buBlip><a:blip r:embed="rId99" ' \
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>' \
        '</a:buBlip></a:pPr><a:r><a:rPr lang="en-US" sz="2000"/><a:t>Item</a:t></a:r>'
    spans = _spans(_deck([para], 200))
    assert any(s[0].strip() == "\u2022" for s in spans), spans


# -- bullets ------------------------------------------------------------------------------


def _bulleted(ppr_attrs: str, text: str = "Word") -> str:
    return (f'<a:pPr {ppr_attrs}><a:buFont typeface="Arial"/><a:buChar char="\u2022"/></a:pPr>'
            f'<a:r><a:rPr lang="en-US" sz="2000"/><a:t>{text}</a:t></a:r>')  # fmt: skip


def test_bullet_without_room_in_the_indent_pushes_the_text_after_it():
    spans = _spans(_deck([_bulleted('marL="0" indent="0"')], 100))
    bullet = next(s for s in spans if s[0] == "\u2022")
    word = next(s for s in spans if s[0] == "Word")
    assert bullet[1] == pytest.approx(BOX_X + 7.2, abs=0.5)
    assert word[1] >= bullet[1] + 20 * 0.35 - 0.1  # after the bullet's advance, not on it


def test_hanging_bullet_sits_in_the_indent():
    spans = _spans(_deck([_bulleted('marL="342900" indent="-342900"')], 100))
    bullet = next(s for s in spans if s[0] == "\u2022")
    word = next(s for s in spans if s[0] == "Word")
    assert bullet[1] == pytest.approx(BOX_X + 7.2, abs=0.5)
    assert word[1] == pytest.approx(BOX_X + 7.2 + 27, abs=0.5)


# Right-to-left bullets, measured with LibreOffice 7.4 on the same deck (box at
# 72..432 pt, insets 7.2 pt, 20 pt Calibri text, Arial bullet, hanging indent 27 pt):
# the bullet is on the right, at marL + indent from the right inset, the text at
# marL; alignment places bullet and text together ("l" and "r" are absolute sides).
RIGHT_INSET = BOX_X + BOX_W - 7.2
HEBREW = "\u05e9\u05dc\u05d5\u05dd"


def _rtl_line(attrs: str) -> tuple[float, float, float]:
    """(bullet left x, text left x, text right x) of a one-line right-to-left paragraph."""
    spans = _spans(_deck([_bulleted(f'rtl="1" {attrs}', HEBREW)], 100))
    bullet = next(s for s in spans if s[0] == "\u2022")
    word = next(s for s in spans if s[0] != "\u2022")
    pieces, _ = fonts.split_by_font(HEBREW, "Calibri", False, False)  # Hebrew: a fallback font
    width = sum(shaping.width(text, face.name, 20) for text, face in pieces)
    return bullet[1], word[1], word[1] + width


def test_rtl_bullet_sits_on_the_right_and_the_text_against_it():
    bullet_x, _, text_right = _rtl_line('algn="r" marL="685800" indent="-342900"')
    bullet_w = shaping.width("\u2022", fonts.face("LiberationSans-Regular").name, 20)
    assert bullet_x + bullet_w == pytest.approx(RIGHT_INSET - 27, abs=0.3)  # marL + indent
    assert text_right == pytest.approx(RIGHT_INSET - 54, abs=0.3)  # marL


def test_rtl_left_aligned_line_keeps_its_bullet_on_its_right_end():
    bullet_x, text_left, text_right = _rtl_line('algn="l" marL="342900" indent="-342900"')
    bullet_w = shaping.width("\u2022", fonts.face("LiberationSans-Regular").name, 20)
    assert text_left == pytest.approx(BOX_X + 7.2, abs=0.3)
    assert bullet_x + bullet_w == pytest.approx(text_right + 27, abs=0.3)


def test_centred_bullet_moves_with_its_text():
    spans = _spans(_deck([_bulleted('algn="ctr" marL="342900" indent="-342900"', "Centre")], 100))
    bullet = next(s for s in spans if s[0] == "\u2022")
    word = next(s for s in spans if s[0] == "Centre")
    width = shaping.width("Centre", fonts.face("Carlito-Regular").name, 20)
    assert word[1] - bullet[1] == pytest.approx(27, abs=0.3)
    middle = (bullet[1] + word[1] + width) / 2  # the bullet-and-text unit is centred
    assert middle == pytest.approx(BOX_X + BOX_W / 2, abs=0.3)


def test_table_text_is_spaced_by_the_fonts_own_metrics():
    # LibreOffice 7.4 on the same table: 20 pt lines 20.0 pt apart in Carlito,
    # 22.3 in Liberation Sans (each font's ascent + descent), not 1.2 x size.
    prs = pptx.Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    for i, face in enumerate(["Calibri", "Arial"]):
        frame = slide.shapes.add_table(1, 1, Pt(20 + 220 * i), Pt(20), Pt(200), Pt(100)).table
        text = frame.cell(0, 0).text_frame
        for n in range(3):
            para = text.paragraphs[0] if n == 0 else text.add_paragraph()
            run = para.add_run()
            run.text, run.font.name, run.font.size = f"L{n}x{i}", face, Pt(20)
    out = io.BytesIO()
    prs.save(out)
    out.seek(0)
    spans = _spans(out)
    for i, pitch in ((0, 20.0), (1, 22.34)):
        ys = [_find(spans, f"L{n}x{i}")[2] for n in range(3)]
        assert ys[1] - ys[0] == pytest.approx(pitch, abs=0.05)
        assert ys[2] - ys[1] == pytest.approx(pitch, abs=0.05)


def test_justified_rtl_line_sits_on_the_right():
    # LibreOffice 7.4: a one-line justified right-to-left paragraph ends at the right inset.
    spans = _spans(_deck([f'<a:pPr algn="just" rtl="1"/><a:r><a:rPr lang="he" sz="2000"/>'
                          f"<a:t>{HEBREW}</a:t></a:r>"], 100))  # fmt: skip
    word = next(s for s in spans if s[0].strip())
    pieces, _ = fonts.split_by_font(HEBREW, "Calibri", False, False)
    width = sum(shaping.width(text, face.name, 20) for text, face in pieces)
    assert word[1] + width == pytest.approx(RIGHT_INSET, abs=0.5)


# -- line breaking inside words ---------------------------------------------------------


def test_lines_break_after_a_hyphen_between_letters_or_digits():
    text = "aaaa bbbbbbbbbbbbbbbbbbbbbbbb-cccccccccc-dddd"
    spans = _spans(_deck([text], 200, size=20))
    first, second = _find(spans, "aaaa"), _find(spans, "cccc")
    # the first line ends at a hyphen (not mid-word, not before "bbbb")
    assert first[0].endswith("-") and "bbbb" in first[0]
    assert second[2] > first[2] + 20 and abs(second[1] - first[1]) < 0.5
    # a hyphen without a letter after it is no break: "-5" stays whole
    assert [s for s in _spans(_deck(["x " * 30 + "-5"], 200, size=20)) if "-5" in s[0]]


def test_chinese_and_japanese_lines_fill_to_the_margin_and_keep_kinsoku():
    # Latin words then a long run of ideographs: the ideographs start on the
    # first line (any ideograph may begin a line), not pushed to the next one
    cjk = "中文文本测试" * 8 + "。"
    spans = _spans(_deck([f"Hello {cjk}"], 300, size=20))
    lines: dict[float, str] = {}
    for text, _x, y, _size in spans:
        lines[round(y)] = lines.get(round(y), "") + text
    rows = [lines[y] for y in sorted(lines)]
    assert rows[0].startswith("Hello") and "中" in rows[0]
    assert len(rows) >= 3  # wrapped at character boundaries, not in one overlong line
    # kinsoku: the full stop never starts a line; it stays with the ideograph before it
    assert not any(r.startswith("。") for r in rows[1:])


def test_text_flows_down_columns_one_after_another():
    words = " ".join(f"w{i:02d}" for i in range(60))
    deck = _deck([words], 100, size=20)
    prs = pptx.Presentation(deck)
    body_pr = prs.slides[0].shapes[0].text_frame._txBody.find(A + "bodyPr")
    body_pr.set("numCol", "3")
    body_pr.set("spcCol", str(18 * 12700))
    out = io.BytesIO()
    prs.save(out)
    out.seek(0)
    spans = _spans(out)
    col_w = (360 - 14.4 - 2 * 18) / 3
    lefts = sorted({round(x) for _t, x, _y, _s in spans})
    assert lefts == [round(72 + 7.2 + k * (col_w + 18)) for k in range(3)]
    # every column starts at the top line; a line moves on only when it would
    # start at or below the bottom inset (96.4 pt down the 100 pt box)
    first_line = min(y for *_r, y, _s in spans)
    for left in lefts:
        column = [s for s in spans if round(s[1]) == left]
        assert min(s[2] for s in column) == pytest.approx(first_line)
    lines_per_column = [len({round(s[2]) for s in spans if round(s[1]) == x}) for x in lefts[:2]]
    # lines start at 3.6, 27.6, 51.6, 75.6 (ending past 96.4) and 99.6 (moves on)
    assert lines_per_column == [4, 4]
    assert all(x < 72 + 360 for _t, x, _y, _s in spans)


def test_a_line_holding_only_a_break_is_as_tall_as_the_breaks_font():
    def run(text):
        return f'<a:r><a:rPr lang="en-US" sz="2000"/><a:t>{text}</a:t></a:r>'

    br20 = '<a:br><a:rPr lang="en-US" sz="2000"/></a:br>'
    br10 = '<a:br><a:rPr lang="en-US" sz="1000"/></a:br>'
    spans = _spans(_deck([run("First") + br20 + br10 + run("Second")], 300))
    # "First" (a 24 pt line), an empty line holding only the 10 pt break (12 pt,
    # not the 24 pt of the text before it), then "Second"
    gap = _find(spans, "Second")[2] - _find(spans, "First")[2]
    assert gap == pytest.approx(24 + 12, abs=0.3)


def test_a_paragraphs_own_default_run_properties_apply_to_its_runs():
    # LibreOffice (unlike PowerPoint) applies a:pPr/a:defRPr to the runs
    ppr = ('<a:pPr><a:defRPr sz="4000"><a:solidFill><a:srgbClr val="FF0000"/>'
           "</a:solidFill></a:defRPr></a:pPr>")
    explicit = '<a:r><a:rPr lang="en-US" sz="1000"/><a:t>Small</a:t></a:r>'
    spans = _spans(_deck([ppr + "<a:r><a:t>Big</a:t></a:r>" + explicit], 200))
    assert _find(spans, "Big")[3] == pytest.approx(40)
    assert _find(spans, "Small")[3] == pytest.approx(10)  # the run's own rPr wins
    prs = pptx.Presentation(_deck([ppr + "<a:r><a:t>Big</a:t></a:r>"], 200))
    from deckpipe.render.model import TextItem
    from deckpipe.render.resolve import DeckResolver

    page, _ = DeckResolver(prs).resolve_slide(prs.slides[0], 1)
    run = next(i for i in page.items if isinstance(i, TextItem)).paragraphs[0].runs[0]
    assert run.color == pytest.approx((1.0, 0.0, 0.0))


def test_a_first_line_indent_never_reaches_left_of_the_text_area():
    ppr = '<a:pPr marL="0" indent="-914400" algn="ctr"><a:buNone/></a:pPr>'
    word = '<a:r><a:rPr lang="en-US" sz="2000"/><a:t>Centred</a:t></a:r>'
    text, x, _y, size = _find(_spans(_deck([ppr + word], 200)), "Centred")
    width = shaping.width(text, fonts.primary_face("Calibri", False, False).name, size)
    # centred in the box as if there were no indent (not 36 pt to its left)
    assert x + width / 2 == pytest.approx(BOX_X + BOX_W / 2, abs=0.5)


def test_spaces_at_a_paragraphs_end_count_when_it_is_centred():
    ppr = '<a:pPr algn="ctr"/>'
    word = '<a:r><a:rPr lang="en-US" sz="2000"/><a:t>Centred  </a:t></a:r>'
    text, x, _y, size = _find(_spans(_deck([ppr + word], 200)), "Centred")
    face = fonts.primary_face("Calibri", False, False).name
    unit = shaping.width("Centred  ", face, size)
    # the word and its two trailing spaces are centred together, as LibreOffice does
    assert x + unit / 2 == pytest.approx(BOX_X + BOX_W / 2, abs=0.5)
    # where a line wraps, its trailing space does not count
    many = f'<a:r><a:rPr lang="en-US" sz="2000"/><a:t>{"word " * 30}x</a:t></a:r>'
    wrapped = _spans(_deck([ppr + many], 300))
    first = min(wrapped, key=lambda s: s[2])
    first_w = shaping.width(first[0].rstrip(), face, 20)
    assert first[1] + first_w / 2 == pytest.approx(BOX_X + BOX_W / 2, abs=1.0)


def test_justified_lines_fill_the_width_except_the_last():
    ppr = '<a:pPr algn="just"/>'
    text = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron " * 2
    spans = _spans(_deck([ppr + f'<a:r><a:rPr lang="en-US" sz="2000"/><a:t>{text}</a:t></a:r>'],
                         300))  # fmt: skip
    face = fonts.primary_face("Calibri", False, False).name
    rows: dict[int, list] = {}
    for span in spans:
        rows.setdefault(round(span[2]), []).append(span)
    lines = [sorted(rows[y], key=lambda s: s[1]) for y in sorted(rows)]
    assert len(lines) >= 3
    assert len(lines[-1]) == 1  # the last line is drawn as one string, not word by word
    right = BOX_X + BOX_W - 7.2
    for line in lines[:-1]:  # wrapped lines: first word at the left, last word at the right
        last = line[-1]
        assert line[0][1] == pytest.approx(BOX_X + 7.2, abs=0.3)
        assert last[1] + shaping.width(last[0], face, 20) == pytest.approx(right, abs=0.5)
    assert lines[-1][0][1] == pytest.approx(BOX_X + 7.2, abs=0.3)  # at the left
