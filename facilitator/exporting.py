"""Writing exports: the one path the command line and the app's summary screen share."""

from __future__ import annotations

from pathlib import Path

from facilitator.core.session import SessionInfo, SessionState
from facilitator.core.summary import build_summary
from facilitator.exports import FORMATS, renderer
from facilitator.store.session_store import SessionStore, atomic_write, make_private_dir


def render_export(
    info: SessionInfo, state: SessionState, fmt: str, now: float, with_names: bool = False
) -> str | bytes:
    return renderer(fmt)(build_summary(info, state, now, with_names=with_names))


def default_export_path(store: SessionStore, info: SessionInfo, fmt: str) -> Path:
    """``<session>/exports/<id>.<ext>``: inside the session folder, owner only."""
    return store.path / "exports" / f"{info.id}.{FORMATS[fmt][2]}"


def write_export(
    store: SessionStore,
    info: SessionInfo,
    state: SessionState,
    fmt: str,
    now: float,
    output: Path | None = None,
    with_names: bool = False,
) -> Path:
    """Render ``fmt`` and write it whole (temporary file, fsync, rename) with mode 0600."""
    rendered = render_export(info, state, fmt, now, with_names)
    data = rendered.encode("utf-8") if isinstance(rendered, str) else rendered
    target = output or default_export_path(store, info, fmt)
    if target.parent.resolve().is_relative_to(store.path.resolve()):
        make_private_dir(target.parent)
    atomic_write(target, data)
    return target
