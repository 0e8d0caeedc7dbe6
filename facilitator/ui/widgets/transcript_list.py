"""The transcript as a scrolled list of statements, drawn a line at a time.

A three-hour session has some 10,000 statements: a widget each would take seconds to mount.
This one is a ``ScrollView`` with Textual's line API: the layout (which words go on which
line, where each statement begins) is plain numbers, kept per statement object (a
correction makes only the statements around it again, see ``core.transcript_edits``), and
only the lines on screen are drawn, each once until something on it changes.

A statement: its time, its speaker (*nobody* on red when unattributed, ``⇄`` and who talked
over it for an overlap, ``*`` when a correction gave the speaker), its words (the word under
the cursor underlined, the word being played lit), its tags; the notes written during it
beside it (in a column on the right when there is room, else under its words); a heading
line where the phase or the question changes.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from facilitator.core.notes import Note
from facilitator.core.timefmt import clock
from facilitator.core.transcript import Statement
from facilitator.i18n import _

TIME_W = 8  # "01:02:03"
WHO_W = 13  # the speaker's pseudonym, cut to fit
GUTTER = TIME_W + 1 + WHO_W + 1
NOTES_BESIDE_FROM = 110  # columns from which notes get a column of their own
NOTES_W = 36

PLAIN = Style()
TIME = Style(color="#8a8a8a")
WHO = Style(bold=True)
MODERATOR_STYLE = Style(bold=True, color="#87afd7")
NOBODY = Style(bold=True, color="#ffffff", bgcolor="#870000")
OVERLAP = Style(bold=True, color="#ffaf00")
HEADING = Style(bold=True, color="#d7d7ff", bgcolor="#262640")
SELECTED = Style(bgcolor="#2a3344")
CURSOR = Style(underline=True, bold=True)
PLAYING = Style(bold=True, color="#000000", bgcolor="#ffd75f")
EDITED = Style(italic=True)
MATCH = Style(color="#000000", bgcolor="#87d787")
NOTE = Style(color="#afafaf", italic=True)
TAG_STYLES = {
    "quote": Style(bold=True, color="#87d7ff"),
    "theme": Style(bold=True, color="#d7afff"),
    "follow-up": Style(bold=True, color="#ffaf5f"),
}


@dataclass(frozen=True)
class Layout:
    """Where a statement's words break into lines at a given width."""

    width: int
    breaks: tuple[int, ...]  # the index of the first word of each line (0 first)


_CONTROL = {n: "�" for n in (*range(32), 127)}


def clean(text: str) -> str:
    """Control characters (an escape would drive the terminal) shown as a replacement mark."""
    return text.translate(_CONTROL) if not text.isprintable() else text


def _cells(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def wrap(texts: Sequence[str], width: int) -> tuple[int, ...]:
    """Greedy: the word index each line starts at (a word longer than a line gets its own)."""
    breaks = [0]
    used = 0
    for index, text in enumerate(texts):
        size = _cells(text)
        if used and used + 1 + size > width:
            breaks.append(index)
            used = size
        else:
            used += size + (1 if used else 0)
    return tuple(breaks)


class TranscriptList(ScrollView, can_focus=True):
    """The statements; the screen owns the selection and tells this what to show."""

    DEFAULT_CSS = """
    TranscriptList {
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    """

    def __init__(
        self,
        statements: list[Statement],
        label: Callable[[str | None], str],
        heading: Callable[[Statement], str],
        notes: dict[int, list[Note]],
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.statements = statements
        self.label = label
        self.heading_of = heading
        self.notes = notes
        self.selected = 0
        self.cursor = 0  # the word under the cursor in the selected statement
        self.playing_word: str | None = None
        self.matches: set[str] = set()  # statement ids found by the search
        self._layouts: dict[int, Layout] = {}  # id(statement) -> its words' lines
        self._offsets: list[int] = [0]  # the first line of each statement, then the end
        self._row_list: list[int] = []  # each statement's lines
        self._heading: list[bool] = []
        self._height = 0
        self._width = 0
        self._strips: dict[int, Strip] = {}  # drawn lines by virtual y

    # --- layout ------------------------------------------------------------------------------

    @property
    def text_width(self) -> int:
        width = max(20, self._width - GUTTER)
        if self._width >= NOTES_BESIDE_FROM:
            width -= NOTES_W + 1
        return width

    def _texts(self, statement: Statement) -> list[str]:
        texts = [clean(w.text) for w in statement.words]
        texts += [f"#{clean(t)}" for t in statement.tags]
        if statement.overlaps:  # who talked over it, wrapped with the words
            texts.append("⇄ " + clean(", ".join(self.label(w) for w in statement.overlaps)))
        return texts

    def _layout(self, statement: Statement) -> Layout:
        width = self.text_width
        layout = self._layouts.get(id(statement))
        if layout is None or layout.width != width:
            layout = Layout(width, wrap(self._texts(statement), width))
            self._layouts[id(statement)] = layout
        return layout

    def _rows(self, index: int) -> tuple[bool, int]:
        """Whether statement ``index`` opens with a heading, and its lines (heading too)."""
        statement = self.statements[index]
        lines = len(self._layout(statement).breaks)
        notes = len(self.notes.get(index, ()))
        rows = max(lines, notes) if self._width >= NOTES_BESIDE_FROM else lines + notes
        if index == 0:
            heading = True
        else:
            before = self.statements[index - 1]
            heading = (statement.phase, statement.question) != (before.phase, before.question)
        return heading, rows + heading

    def relayout(self, statements: list[Statement] | None = None, notes=None) -> None:
        """Lay everything out again (the width changed, another view corrected words)."""
        if statements is not None:
            self.statements = statements
        if len(self._layouts) > 2 * len(self.statements) + 64:
            alive = {id(s) for s in self.statements}
            self._layouts = {k: v for k, v in self._layouts.items() if k in alive}
        if notes is not None:
            self.notes = notes
        self._width = self.scrollable_content_region.width or self.size.width or 80
        rows = [self._rows(index) for index in range(len(self.statements))]
        self._heading = [heading for heading, _rows in rows]
        self._set_rows([count for _heading, count in rows])

    def splice(self, low: int, high: int, count: int, notes) -> None:
        """Statements ``low:high`` became ``count`` new ones (one correction): only those,
        and the heading of the one after them, are laid out again."""
        self.notes = notes
        made = [self._rows(index) for index in range(low, low + count)]
        self._heading[low:high] = [heading for heading, _rows in made]
        rows = self._row_list
        rows[low:high] = [n for _heading, n in made]
        after = low + count
        if after < len(self.statements):
            self._heading[after], rows[after] = self._rows(after)
        self._set_rows(rows)

    def _set_rows(self, rows: list[int]) -> None:
        self._row_list = rows
        self._offsets = list(accumulate(rows, initial=0))
        self._height = self._offsets[-1]
        self._strips.clear()
        self.virtual_size = Size(self._width, self._height)
        self.selected = min(self.selected, max(0, len(self.statements) - 1))
        self.refresh()

    def on_resize(self) -> None:
        self.relayout()

    def span(self, index: int) -> tuple[int, int]:
        """The first line of statement ``index`` (its heading's, if any) and its height."""
        if not 0 <= index < len(self._offsets) - 1:
            return 0, 0
        return self._offsets[index], self._offsets[index + 1] - self._offsets[index]

    def index_at(self, y: int) -> int:
        return min(max(0, bisect_right(self._offsets, y) - 1), len(self.statements) - 1)

    # --- what the screen changes ------------------------------------------------------------

    def redraw(self, index: int) -> None:
        top, height = self.span(index)
        for y in range(top, top + height):
            self._strips.pop(y, None)
        self.refresh(Region(0, top - self.scroll_offset.y, self.size.width, height))

    def select(self, index: int, cursor: int = 0) -> None:
        if not self.statements:
            return
        index = min(max(0, index), len(self.statements) - 1)
        old = self.selected
        self.selected = index
        self.cursor = cursor
        self.redraw(old)
        self.redraw(index)
        top, height = self.span(index)
        self.scroll_to_region(
            Region(0, top, 1, max(1, min(height, self.size.height))),
            animate=False,
            immediate=True,
        )

    def set_playing(self, word_id: str | None) -> None:
        if word_id != self.playing_word:
            self.playing_word = word_id
            self.redraw(self.selected)

    # --- drawing ------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        virtual = y + self.scroll_offset.y
        width = self.size.width
        strip = self._strips.get(virtual)
        if strip is None or strip.cell_length != width:
            strip = self._draw(virtual, width)
            self._strips[virtual] = strip
        return strip

    def _draw(self, virtual: int, width: int) -> Strip:
        if virtual >= self._height or not self.statements:
            return Strip.blank(width)
        index = self.index_at(virtual)
        statement = self.statements[index]
        local = virtual - self._offsets[index]
        if self._heading[index]:
            if local == 0:
                text = clean(f"── {self.heading_of(statement)} ")
                return _line([(_cut(text, width), HEADING)], width, HEADING)
            local -= 1
        selected = index == self.selected
        base = SELECTED if selected else PLAIN
        layout = self._layout(statement)
        lines = len(layout.breaks)
        notes = self.notes.get(index, [])
        beside = self._width >= NOTES_BESIDE_FROM
        parts: list[tuple[str, Style]] = []
        if local < lines:
            parts.extend(self._gutter(statement, local == 0))
            parts.extend(self._words(statement, layout, local, selected))
        if beside:
            used = sum(_cells(t) for t, _s in parts)
            column = GUTTER + self.text_width + 1
            if local < len(notes):
                parts.append((" " * max(0, column - used), PLAIN))
                parts.append((_cut(_note_line(notes[local]), NOTES_W), NOTE))
        elif local >= lines:
            note = notes[local - lines]
            parts.append((" " * GUTTER, PLAIN))
            parts.append((_cut("✎ " + _note_line(note), width - GUTTER), NOTE))
        return _line([(t, base + s) for t, s in parts], width, base)

    def _gutter(self, statement: Statement, first: bool) -> list[tuple[str, Style]]:
        if not first:
            return [(" " * GUTTER, PLAIN)]
        who = statement.who
        corrected = any(w.corrected for w in statement.words)
        name = clean(self.label(who)) + ("*" if corrected else "")
        if who is None:
            style = NOBODY
        elif who == "moderator":
            style = MODERATOR_STYLE
        else:
            style = WHO
        parts = [(clock(statement.start_s).rjust(TIME_W), TIME), (" ", PLAIN)]
        name = _cut(name, WHO_W)
        parts.append((name, style))
        parts.append((" " * (WHO_W - _cells(name) + 1), PLAIN))
        return parts

    def _words(
        self, statement: Statement, layout: Layout, line: int, selected: bool
    ) -> list[tuple[str, Style]]:
        texts = self._texts(statement)
        first = layout.breaks[line]
        last = layout.breaks[line + 1] if line + 1 < len(layout.breaks) else len(texts)
        parts: list[tuple[str, Style]] = []
        count = len(statement.words)
        found = statement.id in self.matches
        for position in range(first, last):
            if position > first:
                parts.append((" ", PLAIN))
            text = _cut(texts[position], self.text_width)
            if position >= count:  # a tag, or who talked over it
                style = TAG_STYLES.get(text[1:], WHO) if text.startswith("#") else OVERLAP
                parts.append((text, style))
                continue
            spoken = statement.words[position]
            style = PLAIN
            if spoken.text != spoken.word.text:
                style += EDITED
            if spoken.overlap:
                style += OVERLAP
            if found:
                style += MATCH
            if selected and position == self.cursor:
                style += CURSOR
            if spoken.word.id == self.playing_word:
                style += PLAYING
            parts.append((text, style))
        return parts


def _note_line(note: Note) -> str:
    tags = "".join(f" #{t}" for t in note.tags)
    return clean(f"{clock(note.t_s)} {note.text}{tags}")


def _cut(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if _cells(text) <= width:
        return text
    out = ""
    for char in text:
        if _cells(out + char) > width - 1:
            break
        out += char
    return out + "…"


def _line(parts: list[tuple[str, Style]], width: int, fill: Style) -> Strip:
    segments = [Segment(text, style) for text, style in parts if text]
    strip = Strip(segments)
    return strip.crop(0, width).extend_cell_length(width, fill)


def heading_text(statement: Statement, phases: dict[str, str], questions: dict[str, str]) -> str:
    """ "Main phase · 2.1 Can you tell us ...": where the guide was when it was said."""
    phase = phases.get(statement.phase, statement.phase) or _("before the guide")
    question = questions.get(statement.question or "", "")
    return f"{phase} · {question}" if question else phase
