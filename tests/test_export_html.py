"""The HTML report: one self-contained page made from the summary.

A session is scripted through ``LiveSession`` on a fake clock (every turn an exact number of
seconds, a break, a stretch with the app not running, notes with every kind of tag and
Norwegian letters, a member check), rendered, and read back with ``html.parser``: the page
is well formed, reaches for nothing outside itself, draws a bar per participant and a block
per turn, and carries every note. Real names appear only when asked for. The last test opens
the page in a real browser (headless Chromium) and prints it to PDF.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from facilitator.core.clock import FakeClock
from facilitator.core.study import build_study
from facilitator.core.summary import build_summary
from facilitator.core.talk import MODERATOR
from facilitator.exports import renderer
from facilitator.exports.html import render_html
from facilitator.exports.markdown import render_markdown
from facilitator.i18n import set_language
from facilitator.services.live import LiveSession
from facilitator.store.session_store import SessionStore
from tests.conftest import venv_bin

CHROMIUM = Path("/usr/bin/chromium")
PAST = 1_700_000_000.0  # 2023-11-14 22:13 UTC

# What the notes say (æ, ø and å on purpose)
QUOTE = "Vi ser dem først når krisen er et faktum"
THEME = "Familiene møter mange ulike kontorer"
FOLLOW_UP = "Spør om depositum og bostøtte neste gang"
SUMMARY_1 = "Tillit tar tid å bygge, særlig når økonomien er trang"
SUMMARY_2 = "Samarbeidet på tvers av etatene er for tilfeldig"
HOSTILE = '<script>alert("å")</script> & <b>fet</b> skrift'  # an observation, to be escaped
NUANCE = "bare delvis"
REFLECTION = "Jeg styrte for mye i åpningen"
REAL_NAME = "Kari Nordmann"
REAL_NAME_2 = "Åse Ødegård"

# Talk per speaker to the second, as play() scripts it
TALK = {"P1": 225.0, "P2": 90.0, "P3": 25.0, "P4": 80.0, "P5": 0.0}
MODERATOR_TALK = 125.0
SPEAKERS = [MODERATOR, "P1", "P2", "P3", MODERATOR, "P1", "P2", "P4", MODERATOR, "P1", "P4"]
SPEAKERS += [MODERATOR, "P2"]
DURATION = 665.0  # 160 + 230 + 120 (app not running) + 105 + 50
BREAK_S = 300.0
DOWN_S = 120.0


def play(live: LiveSession, clock: FakeClock) -> LiveSession:
    """Four phases of talk on the seed guide (English), to the second; returns the session as
    reopened after the app was not running for two minutes."""
    live.edit_participant("P1", real_name=REAL_NAME)
    live.edit_participant("P2", real_name=REAL_NAME_2)
    live.set_checked("samtykke", True)
    live.set_checked("databehandling", True)
    # the introduction: 160 s
    live.speak(MODERATOR)
    clock.advance(60)
    live.speak("P1")
    clock.advance(45)
    live.speak("P2")
    clock.advance(30)
    live.add_note(f"{QUOTE} #q")
    live.speak("P3")
    clock.advance(25)
    live.add_reflection(REFLECTION)
    # the current situation, first question: 230 s and a five-minute break
    live.next_phase()
    live.speak(MODERATOR)
    clock.advance(20)
    live.speak("P1")
    clock.advance(120)
    live.add_note(f"#t {THEME}")
    live.overlap("P2")
    live.speak("P2")
    clock.advance(40)
    live.toggle_pause()
    clock.advance(BREAK_S)
    live.toggle_pause()
    live.speak("P4")
    clock.advance(50)
    live.add_note(f"{FOLLOW_UP} #f")
    live.speak(None)
    # the app stops (no clean exit) and is started again two minutes later
    live.heartbeat()
    assert live.journal is not None
    live.journal.close()
    clock.advance(DOWN_S)
    again = LiveSession(SessionStore(live.store.path), clock=clock)
    # the second question: 105 s
    again.next_question()
    again.speak(MODERATOR)
    clock.advance(15)
    again.speak("P1")
    clock.advance(60)
    first = again.add_note(f"{SUMMARY_1} #s")
    again.speak("P4")
    clock.advance(30)
    second = again.add_note(f"{SUMMARY_2} #s")
    again.add_note(f"{HOSTILE} #o")
    # the closing, with the member check: 50 s
    again.next_phase()
    again.speak(MODERATOR)
    clock.advance(30)
    assert first is not None and second is not None
    again.check_mark(first.id, "nuanced", NUANCE)
    again.check_mark(second.id, "confirmed")
    again.speak("P2")
    clock.advance(20)
    again.end()
    return again


@pytest.fixture
def clock() -> FakeClock:
    """A fixed moment in the past, so that the command line (on the real clock) sees the
    session as ended long ago, with the same figures."""
    return FakeClock(PAST)


@pytest.fixture
def played(live: LiveSession, clock: FakeClock) -> Iterator[LiveSession]:
    again = play(live, clock)
    yield again
    if again.journal is not None:
        again.journal.close()


def summary_of(session: LiveSession, **kwargs: bool) -> dict[str, Any]:
    return build_summary(session.info, session.state, session.now(), **kwargs)


VOID = {"meta", "br", "hr", "img", "input", "link", "wbr", "col", "area", "base", "source"}


class Page(HTMLParser):
    """The page read back: every element with its attributes, and every nesting error."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.errors: list[str] = []
        self.stack: list[str] = []
        self.text: list[str] = []
        self.doctype = ""
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append(f"not closed: {self.stack}")

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def find(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        """Elements ``tag`` with an attribute per ``wanted`` (``data_turn`` is data-turn;
        an empty value asks only that the attribute be there)."""
        found = []
        for name, attrs in self.elements:
            if name != tag:
                continue
            if all(
                key.replace("_", "-") in attrs
                and (not value or attrs[key.replace("_", "-")] == value)
                for key, value in wanted.items()
            ):
                found.append(attrs)
        return found


# --- the page itself ------------------------------------------------------------------------------


def test_the_report_is_one_well_formed_self_contained_page(played: LiveSession) -> None:
    summary = summary_of(played)
    text = render_html(summary)
    page = Page(text)
    assert page.errors == []
    assert page.doctype.lower() == "doctype html"
    assert page.find("meta", charset="utf-8")
    assert page.find("html", lang="en")
    assert len(page.find("style")) == 1
    # nothing from elsewhere: no scripts, links, images, frames, fonts or imports
    for tag in ("script", "link", "img", "iframe", "object", "embed", "image", "use"):
        assert page.find(tag) == [], tag
    assert "http://" not in text and "https://" not in text
    assert "src=" not in text and "href=" not in text
    assert "@import" not in text and "@font-face" not in text
    assert text.count("url(") == text.count("url(#")  # only the page's own SVG patterns
    ids = [attrs["id"] for _tag, attrs in page.elements if "id" in attrs]
    assert len(ids) == len(set(ids))
    # the registry's "html" is this renderer
    assert renderer("html")(summary) == text


def test_the_script_is_exact(played: LiveSession) -> None:
    """The figures the charts are drawn from are the scripted ones (to the second)."""
    summary = summary_of(played)
    assert summary["session"]["duration_s"] == DURATION
    assert summary["session"]["paused_s"] == BREAK_S
    assert summary["session"]["down_s"] == DOWN_S
    assert {p["id"]: p["talk_s"] for p in summary["participants"]} == TALK
    assert summary["moderator"]["talk_s"] == MODERATOR_TALK
    assert [t["who"] for t in summary["turns"]] == SPEAKERS


def test_the_talk_chart_has_a_bar_per_participant_against_the_fair_share(
    played: LiveSession,
) -> None:
    summary = summary_of(played)
    page = Page(render_html(summary))
    (chart,) = page.find("svg", id="talk-chart")
    assert chart["role"] == "img"
    bars = page.find("rect", data_bar="")
    assert [b["data-bar"] for b in bars] == ["P1", "P2", "P3", "P4", "P5"]
    widths = {b["data-bar"]: float(b["width"]) for b in bars}
    shares = {p["id"]: p["share"] for p in summary["participants"]}
    assert widths["P5"] == 0.0  # did not speak
    for pid in ("P2", "P3", "P4"):  # drawn to scale
        assert widths[pid] / widths["P1"] == pytest.approx(shares[pid] / shares["P1"], rel=0.01)
    assert len(page.find("line", **{"class": "fair"})) == 5
    # every participant's fair share is the same here: the marks line up
    assert len({m["x1"] for m in page.find("line", **{"class": "fair"})}) == 1
    # the moderator's share of all talk, spelled out
    share = f"{summary['moderator']['share_of_all_talk'] * 100:.0f} %"
    assert f"Moderator: 02:05 in 4 turns, {share} of all talk" in "".join(page.text)
    assert "Talk time per participant" in "".join(page.text)  # the chart's <title>


def test_the_timeline_has_a_block_per_turn_phases_a_break_and_a_gap(played: LiveSession) -> None:
    summary = summary_of(played)
    page = Page(render_html(summary))
    (chart,) = page.find("svg", id="timeline-chart")
    assert chart["aria-labelledby"] == "timeline-chart-title timeline-chart-desc"
    blocks = page.find("rect", data_turn="")
    assert [int(b["data-turn"]) for b in blocks] == list(range(len(SPEAKERS)))
    assert [b["data-who"] for b in blocks] == SPEAKERS
    xs = [float(b["x"]) for b in blocks]
    assert xs == sorted(xs)
    # a turn's length is to scale: the moderator's first minute against P1's two
    assert float(blocks[5]["width"]) == pytest.approx(2 * float(blocks[0]["width"]), rel=0.01)
    # one colour per speaker, the same in both charts
    bars = {b["data-bar"]: b["fill"] for b in page.find("rect", data_bar="")}
    for block in blocks:
        if block["data-who"] != MODERATOR:
            assert block["fill"] == bars[block["data-who"]]
    phases = [g["data-phase"] for g in page.find("g", data_phase="")]
    assert phases == ["introduksjon", "dagens-situasjon", "avrunding"]
    assert len(page.find("g", **{"class": "break"})) == 1
    assert len(page.find("rect", **{"class": "down"})) == 1
    assert len(page.find("path", **{"class": "note"})) == len(summary["notes"])
    text = "".join(page.text)
    assert "Break at 05:40: 05:00" in text
    assert "App not running 06:30–08:30 (counted as session time)" in text


def test_every_note_the_member_check_and_norwegian_letters_are_there(
    played: LiveSession, tmp_path: Path
) -> None:
    summary = summary_of(played)
    text = render_html(summary)
    for note in summary["notes"]:
        assert escape(note["text"]) in text, note["text"]
    for words in (QUOTE, THEME, FOLLOW_UP, SUMMARY_1, SUMMARY_2, NUANCE):
        assert words in text  # æ, ø and å as they are, no entities
    assert "Spør" in text and "særlig" in text and "å bygge" in text
    # the observation's markup is shown, never run
    assert "<script>" not in text and "<b>fet</b>" not in text
    assert "&lt;script&gt;alert(&quot;å&quot;)&lt;/script&gt; &amp; &lt;b&gt;fet&lt;/b&gt;" in text
    page = Page(text)
    shown = "".join(page.text)
    assert HOSTILE in shown
    assert "nuanced" in shown and "confirmed" in shown
    # the quote as a block quote, the follow-up in its section, the gaps in theirs
    assert f"“{QUOTE}”" in shown
    for heading in ("Quotes", "Follow-ups", "Member check", "Breaks and gaps", "Notes"):
        assert f"<h2>{heading}</h2>" in text
    assert "Did not speak" in shown and "Informant 5" in shown
    # written to a file as UTF-8 and read back, the letters survive
    path = tmp_path / "report.html"
    path.write_text(text, encoding="utf-8")
    assert SUMMARY_1 in path.read_bytes().decode("utf-8")


def test_real_names_only_when_asked_for_and_then_under_a_banner(played: LiveSession) -> None:
    plain = render_html(summary_of(played))
    assert REAL_NAME not in plain and REAL_NAME_2 not in plain
    assert "real names" not in plain
    assert 'class="banner"' not in plain
    # even a summary that has the names, if not marked with_names, does not show them
    leaky = summary_of(played) | {"names": {"P1": REAL_NAME}}
    assert REAL_NAME not in render_html(leaky)

    named = render_html(summary_of(played, with_names=True))
    page = Page(named)
    assert page.errors == []
    (banner,) = page.find("div", **{"class": "banner"})
    assert banner["role"] == "alert"
    assert "This report contains real names." in "".join(page.text)
    assert REAL_NAME in named and REAL_NAME_2 in named
    assert named.index("This report contains real names.") < named.index("<h1>")


def test_the_reflexivity_log_only_when_asked_for(played: LiveSession) -> None:
    assert REFLECTION not in render_html(summary_of(played))
    private = render_html(summary_of(played, with_reflections=True))
    assert REFLECTION in private
    assert "Reflexivity log (private)" in private
    assert "private reflexivity log" in private  # the banner on top


def test_the_study_section_when_the_summary_has_one(played: LiveSession) -> None:
    summary = summary_of(played)
    study = build_study([(played.info, played.state)], played.now())
    study["follow_ups"].append(
        {
            "id": "earlier/moderator:9",
            "text": "Hva kan Husbanken tilby på sikt?",
            "stage": 1,
            "question": "",
            "speaker": "",
            "carried_to_stage": 2,
            "taken_up": True,
        }
    )
    text = render_html(summary | {"study": study})
    page = Page(text)
    assert page.errors == []
    shown = "".join(page.text)
    assert "Study u-turn" in shown
    assert "Talk time per participant and stage" in shown
    assert "Coverage of the guide across stages" in shown
    assert "Hva kan Husbanken tilby på sikt?" in shown
    assert "(from stage 1, to stage 2: taken up)" in shown
    assert "Study u-turn" not in "".join(Page(render_html(summary)).text)


def test_a_session_just_opened_renders(live: LiveSession) -> None:
    """No turns, no notes, no talk: the page still stands (no division by nothing)."""
    summary = summary_of(live)
    page = Page(render_html(summary))
    assert page.errors == []
    assert [b["width"] for b in page.find("rect", data_bar="")] == ["0"] * 5
    assert page.find("rect", data_turn="") == []


def test_a_note_off_its_phases_questions_is_in_the_markdown_and_the_report(
    played: LiveSession,
) -> None:
    """A note whose question is not one of its phase's (the guide changed under it, or an
    assistant's journal disagrees) is listed under "Not tied to a question", in both."""
    summary = summary_of(played)
    note = summary["notes"][0]
    other = next(p for p in summary["phases"] if p["id"] != note["phase"] and p["questions"])
    elsewhere = {**note, "id": "elsewhere", "tags": [], "text": "Et annet spørsmål"}
    elsewhere["question"] = other["questions"][0]["id"]
    gone = {
        **note,
        "id": "gone",
        "tags": [],
        "question": "gone",
        "text": "Et spørsmål som er borte",
    }
    summary["notes"] += [elsewhere, gone]
    markdown = render_markdown(summary)
    shown = "".join(Page(render_html(summary)).text)
    for n in summary["notes"]:
        assert n["text"] in markdown, n["text"]
        assert n["text"] in shown, n["text"]
    assert "*Not tied to a question*" in markdown and "Not tied to a question" in shown


def test_the_page_language_follows_the_interface(
    played: LiveSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACILITATOR_LANG", "nb")
    set_language(None)
    page = Page(render_html(summary_of(played)))
    assert page.errors == []
    assert page.find("html", lang="nb")


# --- the command line -----------------------------------------------------------------------------


def facilitator_cli(sessions: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [venv_bin("facilitator"), "--sessions", str(sessions), *args],
        env={"PATH": "/usr/bin:/bin", "FACILITATOR_LANG": "en", "LANG": "C.UTF-8"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_summary_format_html_on_the_command_line(played: LiveSession, tmp_path: Path) -> None:
    sessions = played.store.path.parent
    result = facilitator_cli(sessions, "summary", played.info.id, "--format", "html")
    assert result.returncode == 0, result.stderr
    page = Page(result.stdout)
    assert page.errors == []
    assert len(page.find("rect", data_turn="")) == len(SPEAKERS)
    assert SUMMARY_1 in result.stdout and REAL_NAME not in result.stdout
    named = facilitator_cli(sessions, "summary", played.info.id, "--format", "html", "--with-names")
    assert named.returncode == 0, named.stderr
    assert REAL_NAME in named.stdout and "This report contains real names." in named.stdout
    # and the same page through export, to a file
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    exported = facilitator_cli(
        sessions, "export", played.info.id, "--format", "html", "-o", str(target)
    )
    assert exported.returncode == 0, exported.stderr
    assert target.read_text(encoding="utf-8") == result.stdout
    as_json = facilitator_cli(sessions, "summary", played.info.id, "--format", "json")
    assert json.loads(as_json.stdout)["session"]["duration_s"] == DURATION


# --- in a real browser ----------------------------------------------------------------------------


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_the_report_in_a_real_browser_on_screen_and_on_paper(
    played: LiveSession, tmp_path: Path
) -> None:
    report = tmp_path / "report.html"
    report.write_text(render_html(summary_of(played, with_names=True)), encoding="utf-8")
    png = tmp_path / "report.png"
    shot = chromium(tmp_path, f"--screenshot={png}", "--window-size=1200,3000", report.as_uri())
    assert png.exists(), shot.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000, "a blank page compresses to almost nothing"
    pdf = tmp_path / "report.pdf"
    printed = chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri())
    assert pdf.exists(), printed.stderr
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and b"/Page" in data
    assert pdf.stat().st_size > 20_000


HIDDEN = ("style", "title", "desc", "details", "head", "script")  # not printed as text


class Blocks(HTMLParser):
    """The printed page's text in order, each heading (h2, h3) with the first text that
    follows it outside the heading and its lead paragraph: what must not be left behind."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.headings: list[tuple[str, str]] = []  # (heading, first text after it)
        self.current: list[str] = []
        self.waiting = False
        self.feed(text)

    def _hidden(self) -> bool:
        return any(t in HIDDEN for t, _c in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append((tag, dict(attrs).get("class") or ""))
        if tag in ("h2", "h3"):
            self.current = []

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            name, _class = self.stack.pop()
            if name == tag:
                break
        if tag in ("h2", "h3") and not self._hidden():
            self.headings.append((" ".join(" ".join(self.current).split()), ""))
            self.waiting = True

    def handle_data(self, data: str) -> None:
        if self._hidden() or not data.strip():
            return
        if any(t in ("h2", "h3") for t, _c in self.stack):
            self.current.append(data)
        elif self.waiting and not any(c == "lead" for _t, c in self.stack):
            heading, _x = self.headings[-1]
            self.headings[-1] = (heading, " ".join(data.split()))
            self.waiting = False


def printed_pages(tmp_path: Path, page: str) -> list[str]:
    """``page`` printed to A4 by headless Chromium; each page's text (pdftotext), spaces
    folded."""
    report = tmp_path / "print.html"
    report.write_text(page, encoding="utf-8")
    pdf = tmp_path / "print.pdf"
    done = chromium(tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", report.as_uri())
    assert pdf.exists(), done.stderr
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    count = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    pages = []
    for number in range(1, count + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        pages.append(" ".join(text.split()))
    return pages


def stranded(pages: list[str], headings: list[tuple[str, str]]) -> list[str]:
    """The headings printed on another page than the first text that follows them."""
    text = ""
    starts = []
    for page in pages:
        starts.append(len(text))
        text += page + " "

    def page_at(position: int) -> int:
        return max(i for i, start in enumerate(starts) if start <= position)

    out = []
    at = 0
    for heading, following in headings:
        found = text.find(heading, at)
        assert found >= 0, f"heading {heading!r} not printed"
        after = text.find(following[:40], found + len(heading)) if following else found
        assert after >= 0, f"{following!r} after {heading!r} not printed"
        if page_at(after) != page_at(found):
            out.append(
                f"{heading!r} on page {page_at(found) + 1}, {following!r} on {page_at(after) + 1}"
            )
        at = found + len(heading)
    return out


@pytest.mark.slow
def test_printed_headings_keep_with_what_follows(played: LiveSession, tmp_path: Path) -> None:
    """Printed to A4, no heading ends a page with what it heads on the next. The report is
    printed with 16 to 40 more follow-ups (each a line more in the list just before the
    member check), so that the member check's heading meets the foot of a page in some of
    them: with 26 and 28 it stood there with its lead paragraph, its table on the next
    page, before the lead paragraph kept with what follows too."""
    summary = summary_of(played)
    extra = dict(next(n for n in summary["notes"] if "follow-up" in n["tags"]))
    problems = []
    for count in range(16, 42, 2):  # about half a page of lines
        notes = [
            {**extra, "id": f"extra-{i}", "text": f"Oppfølging nummer {i}: spør om bostøtte"}
            for i in range(count)
        ]
        variant = {**summary, "notes": summary["notes"] + notes}
        page = render_html(variant)
        headings = Blocks(page).headings
        assert any(h == "Member check" for h, _f in headings)
        pages = printed_pages(tmp_path, page)
        problems += [f"{count} more notes: {p}" for p in stranded(pages, headings)]
    assert problems == []


def test_report_labels_follow_lang_and_say_the_language(played: LiveSession) -> None:
    sessions = played.store.path.parent
    for lang, heading, label in (
        ("nb", "Medlemssjekk", "Taletid"),
        ("en", "Member check", "Talk time"),
    ):
        done = facilitator_cli(
            sessions, "--lang", lang, "summary", played.info.id, "--format", "html"
        )
        assert done.returncode == 0, done.stderr
        assert f'<html lang="{lang}">' in done.stdout
        assert f"<h2>{heading}</h2>" in done.stdout and f"<h2>{label}</h2>" in done.stdout
        other = "Member check" if lang == "nb" else "Medlemssjekk"
        assert other not in done.stdout
