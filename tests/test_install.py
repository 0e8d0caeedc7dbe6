"""Installed from a wheel into a fresh environment and run away from the checkout, facilitator
is whole: the bundled guides are there (start screen, `guides`, `new` by name), and so are
its styles and translations."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from test_tmux import Tmux, tmux  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin folder of a new venv holding facilitator, installed from a wheel built here."""
    base = tmp_path_factory.mktemp("install")
    wheels = base / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        timeout=600,
        cwd=base,
    )
    (wheel,) = wheels.glob("facilitator-*.whl")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
        timeout=900,
        cwd=base,
    )
    yield venv / "bin"


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """A folder with nothing of the checkout in it, as a user's working folder."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TMUX", "TMUX_PANE", "PYTHONPATH", "VIRTUAL_ENV", "FACILITATOR_SESSIONS")
    }
    home = tmp_path / "home"
    home.mkdir()
    environment.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        LANG="C.UTF-8",
        FACILITATOR_LANG="en",
        TEXTUAL_ANIMATIONS="none",
        TERM=environment.get("TERM", "xterm-256color"),
    )
    environment.pop("LC_ALL", None)
    return environment


def run(
    bin_dir: Path, cwd: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "facilitator"), *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_installed_package_is_not_the_checkout(installed: Path, elsewhere: Path, env) -> None:
    where = subprocess.run(
        [str(installed / "python"), "-c", "import facilitator; print(facilitator.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert "site-packages" in where and not where.startswith(str(ROOT))
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = run(installed, elsewhere, env, "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"facilitator {version}"


def test_guides_lists_the_bundled_guides_with_their_source(
    installed: Path, elsewhere: Path, env
) -> None:
    result = run(installed, elsewhere, env, "guides")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for name in ("seed-en", "seed-nb", "template"):
        row = next(line for line in lines if line.startswith(name + " "))
        assert "bundled" in row
    assert "site-packages/facilitator/guides/seed-nb.toml" in result.stdout
    # the user's own folder is listed as a place to look, and copying starts a guide there
    mine = Path(env["XDG_CONFIG_HOME"]) / "facilitator" / "guides"
    assert str(mine) in result.stdout
    mine.mkdir(parents=True)
    copied = run(installed, elsewhere, env, "guides", "--copy", "template", str(mine / "mine.toml"))
    assert copied.returncode == 0, copied.stderr
    again = run(installed, elsewhere, env, "guides")
    assert next(line for line in again.stdout.splitlines() if line.startswith("mine ")).split()[
        1:3
    ] == ["your", "guides"]
    assert run(installed, elsewhere, env, "check", "mine").returncode == 0


def test_new_by_guide_name_from_another_folder(installed: Path, elsewhere: Path, env) -> None:
    result = run(
        installed,
        elsewhere,
        env,
        "new",
        "seed-nb",
        "--title",
        "Samling 1",
        "--participant",
        "P1:Informant 1",
        "--participant",
        "P2:Informant 2",
    )
    assert result.returncode == 0, result.stderr
    session = elsewhere / "sessions" / result.stdout.strip()
    assert (session / "session.json").is_file()
    summary = run(installed, elsewhere, env, "summary", session.name, "--format", "json")
    assert summary.returncode == 0, summary.stderr
    assert '"guide"' in summary.stdout and "U-sving" in summary.stdout
    missing = run(installed, elsewhere, env, "new", "no-such-guide", "--title", "T")
    assert missing.returncode == 1
    assert "no guide 'no-such-guide'" in missing.stderr and "seed-nb" in missing.stderr


def test_the_start_screen_lists_the_bundled_guides(
    installed: Path, elsewhere: Path, env, tmp_path: Path
) -> None:
    server = Tmux(tmp_path if len(str(tmp_path)) < 80 else Path("/tmp"), env)
    try:
        app = shlex.quote(str(installed / "facilitator"))
        command = f"cd {shlex.quote(str(elsewhere))} && exec {app}"
        server.cmd("new-session", "-d", "-s", "home", "-x", "120", "-y", "40", command)
        screen = server.wait_for("home", "Start a new session from a guide", timeout=30)
        screen = server.wait_for("home", "seed-nb", timeout=10)
        assert "A U-turn to better housing" in screen
        assert "En U-sving til bedre bolig" in screen
        assert "template" in screen and "bundled" in screen
    finally:
        server.kill_server()
