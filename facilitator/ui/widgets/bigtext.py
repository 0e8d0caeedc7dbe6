"""Large text for the room: a point read back or a recap slide, readable across a table.

A terminal has one font size, so the letters are drawn: a small pixel font (3 wide, 5 high,
with a row above for the ring of Å), each pair of pixel rows one row of half blocks. A
glyph is then 3 columns by 3 rows, about twice the size of the terminal's own letters in
each direction. Text that would not fit at that size is shown at the normal size instead.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

_GLYPHS_5 = {
    "A": ".#.|#.#|###|#.#|#.#", "B": "##.|#.#|##.|#.#|##.", "C": ".##|#..|#..|#..|.##",
    "D": "##.|#.#|#.#|#.#|##.", "E": "###|#..|##.|#..|###", "F": "###|#..|##.|#..|#..",
    "G": ".##|#..|#.#|#.#|.##", "H": "#.#|#.#|###|#.#|#.#", "I": "###|.#.|.#.|.#.|###",
    "J": "..#|..#|..#|#.#|.#.", "K": "#.#|#.#|##.|#.#|#.#", "L": "#..|#..|#..|#..|###",
    "M": "#...#|##.##|#.#.#|#...#|#...#", "N": "#..#|##.#|#.##|#..#|#..#",
    "O": ".#.|#.#|#.#|#.#|.#.",
    "P": "##.|#.#|##.|#..|#..", "Q": ".#.|#.#|#.#|##.|.##", "R": "##.|#.#|##.|#.#|#.#",
    "S": ".##|#..|.#.|..#|##.", "T": "###|.#.|.#.|.#.|.#.", "U": "#.#|#.#|#.#|#.#|.##",
    "V": "#.#|#.#|#.#|.#.|.#.", "W": "#...#|#...#|#.#.#|##.##|#...#", "X": "#.#|#.#|.#.|#.#|#.#",
    "Y": "#.#|#.#|.#.|.#.|.#.", "Z": "###|..#|.#.|#..|###",
    "Æ": ".###|#.#.|####|#.#.|#.##", "Ø": ".##|#.#|###|#.#|##.",
    "0": "###|#.#|#.#|#.#|###", "1": ".#.|##.|.#.|.#.|###", "2": "##.|..#|.#.|#..|###",
    "3": "##.|..#|.#.|..#|##.", "4": "#.#|#.#|###|..#|..#", "5": "###|#..|##.|..#|##.",
    "6": ".##|#..|###|#.#|###", "7": "###|..#|.#.|.#.|.#.", "8": "###|#.#|###|#.#|###",
    "9": "###|#.#|###|..#|##.",
    ".": ".|.|.|.|#", ",": ".|.|.|#|#", ":": ".|#|.|#|.", ";": ".|#|.|#|#",
    "!": "#|#|#|.|#", "?": "##.|..#|.#.|...|.#.", "-": "...|...|###|...|...",
    '"': "#.#|#.#|...|...|...", "'": "#|#|.|.|.", "(": ".#|#.|#.|#.|.#",
    ")": "#.|.#|.#|.#|#.", "/": "..#|..#|.#.|#..|#..", "%": "#.#|..#|.#.|#..|#.#",
    "&": ".#.|#.#|.#.|#.#|.##", "+": "...|.#.|###|.#.|...", "#": "#.#|###|#.#|###|#.#",
    " ": "..|..|..|..|..",
}  # fmt: skip
_ACCENT = {"Å": ("A", ".#.")}  # a letter with a mark in the row above
_SAME = {"“": '"', "”": '"', "«": '"', "»": '"', "’": "'", "–": "-", "—": "-", "…": "."}
_HALF = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def _glyph(char: str) -> list[str]:
    """Six pixel rows (the first for accents) of one character."""
    char = _SAME.get(char, char)
    upper = char.upper()
    if upper in _ACCENT:
        base, accent = _ACCENT[upper]
        rows = _GLYPHS_5[base].split("|")
        return [accent, *rows]
    rows = _GLYPHS_5.get(upper, _GLYPHS_5["?"]).split("|")
    return ["." * len(rows[0]), *rows]


def _width(word: str) -> int:
    return sum(len(_glyph(c)[1]) + 1 for c in word)


def big_lines(text: str, width: int) -> list[str] | None:
    """``text`` drawn in large letters, wrapped at ``width`` columns; None if a word is wider."""
    lines: list[list[str]] = [[]]
    used = 0
    space = _width(" ")
    for word in text.split():
        size = _width(word)
        if size > width:
            return None
        if lines[-1] and used + space + size > width:
            lines.append([])
            used = 0
        if lines[-1]:
            used += space
        lines[-1].append(word)
        used += size
    out: list[str] = []
    for words in lines:
        pixels = [""] * 6
        for char in " ".join(words):
            for row, bits in enumerate(_glyph(char)):
                pixels[row] += bits + "."
        for top in range(0, 6, 2):
            out.append(
                "".join(
                    _HALF[(a == "#", b == "#")]
                    for a, b in zip(pixels[top], pixels[top + 1], strict=True)
                ).rstrip()
            )
        out.append("")
    return out[:-1]


class _Big:
    """A Rich renderable: centred large text, or normal text when it does not fit."""

    def __init__(self, text: str, style: str) -> None:
        self.text = text
        self.style = style

    @property
    def renderable(self) -> Text:
        """The words as plain text (what is drawn large), for readers of the widget."""
        return Text(self.text, style=self.style)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        height = options.height or options.max_height
        lines = big_lines(self.text, width)
        if lines is None or (height and len(lines) > height):
            yield Text(self.text, style=self.style, justify="center")
            return
        style = Style.parse(self.style)
        top = max(0, ((height or len(lines)) - len(lines)) // 2)
        for _ in range(top):
            yield Segment.line()
        for line in lines:
            pad = max(0, (width - len(line)) // 2)
            yield Segment(" " * pad)
            yield Segment(line, style)
            yield Segment.line()


class BigText(Static):
    def show(self, text: str, style: str = "bold") -> None:
        self.update(_Big(text, style))
