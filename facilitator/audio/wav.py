"""WAV files that survive a crash: a segment writer that keeps its header true, and repair.

A WAV header states the size of the audio that follows. A writer that sets it only when it
closes leaves, after a kill or a power cut, a file whose header says "no audio" (or a
length that is not on disk). ``SegmentWriter`` rewrites the two sizes on every ``flush``
(the recorder flushes about once a second) after the audio itself is on disk, so the file
plays as it is with at most the last second missing, and ``repair`` gives back everything
that did reach the disk.

Files are created exclusively and readable by their owner only (0600): they are recordings
of people.
"""

from __future__ import annotations

import errno
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from facilitator.disk import fsync_dir
from facilitator.i18n import _

HEADER_BYTES = 44
_MAX_DATA_BYTES = 0xFFFF_FFFF - (HEADER_BYTES - 8)  # the RIFF size field is 32 bits
_PCM = 1


class AudioWriteError(Exception):
    """The recording could not be written (disk full, file too large, I/O error).

    What was written before stays in the file, and its header matches it. ``str()`` is a
    translated message for the user; ``errno`` says why, for code.
    """

    def __init__(self, message: str, errno: int | None = None, path: Path | None = None):
        super().__init__(message)
        self.errno = errno
        self.path = path


class WavFormatError(ValueError):
    """The file is not a PCM WAV file this module can read or repair."""


class WavInfo(NamedTuple):
    samplerate: int
    channels: int
    sampwidth: int  # bytes per sample
    frames: int


@dataclass(frozen=True)
class WavRepair:
    frames: int
    seconds: float
    repaired: bool  # False: the header already matched the file


def _header(samplerate: int, channels: int, sampwidth: int, data_bytes: int) -> bytes:
    block_align = channels * sampwidth
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        HEADER_BYTES - 8 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        _PCM,
        channels,
        samplerate,
        samplerate * block_align,
        block_align,
        sampwidth * 8,
        b"data",
        data_bytes,
    )


def _write_error(path: Path, error: OSError) -> AudioWriteError:
    if error.errno == errno.ENOSPC:
        reason = _("the disk is full")
    elif error.errno == errno.EFBIG:
        reason = _("the file has reached the largest size allowed")
    else:
        reason = error.strerror or str(error)
    message = _("Cannot write the recording {path}: {reason}", path=path, reason=reason)
    return AudioWriteError(message, error.errno, path)


class SegmentWriter:
    """One recording segment: 16-bit PCM (by default) appended to a new WAV file."""

    def __init__(
        self, path: Path | str, samplerate: int, channels: int = 1, sampwidth: int = 2
    ) -> None:
        self.path = Path(path)
        self.samplerate = samplerate
        self.channels = channels
        self.sampwidth = sampwidth
        self._block_align = channels * sampwidth
        self._data_bytes = 0  # bytes of audio in the file
        self._flushed_bytes = -1  # the data size the header on disk states
        self._fd: int | None = None
        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_CLOEXEC, 0o600)
        try:
            self._write_all(fd, _header(samplerate, channels, sampwidth, 0))
            os.fsync(fd)
        except OSError as error:
            os.close(fd)
            try:
                os.unlink(self.path)
            except OSError:
                pass
            raise _write_error(self.path, error) from error
        self._fd = fd
        self._flushed_bytes = 0
        fsync_dir(self.path.parent)  # the new name itself survives a power cut

    @property
    def frames(self) -> int:
        return self._data_bytes // self._block_align

    @property
    def seconds(self) -> float:
        return self.frames / self.samplerate

    @property
    def closed(self) -> bool:
        return self._fd is None

    def write(self, data: bytes) -> None:
        """Append audio. On a failure, what did reach the file is kept in whole frames."""
        fd = self._fd
        if fd is None:
            raise ValueError("write to a closed SegmentWriter")
        if self._data_bytes + len(data) > _MAX_DATA_BYTES:
            raise _write_error(self.path, OSError(errno.EFBIG, os.strerror(errno.EFBIG)))
        view = memoryview(data)
        try:
            while view:
                written = os.write(fd, view)
                self._data_bytes += written
                view = view[written:]
        except OSError as error:
            self._keep_whole_frames()
            raise _write_error(self.path, error) from error

    def flush(self) -> None:
        """Make the audio written so far durable, and the header state its size."""
        fd = self._fd
        if fd is None or self._flushed_bytes == self._data_bytes:
            return
        try:
            # The audio first, then the header that counts it: after a power cut the header
            # never claims more than the disk holds.
            os.fdatasync(fd)
            self._write_sizes(fd)
            os.fdatasync(fd)
        except OSError as error:
            raise _write_error(self.path, error) from error

    def close(self) -> None:
        """Flush and close; idempotent. The file is closed even if the flush fails."""
        fd = self._fd
        if fd is None:
            return
        try:
            self.flush()
        finally:
            self._fd = None
            os.close(fd)

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write_sizes(self, fd: int) -> None:
        # one write from the RIFF size to the data size (the bytes between stay as they are)
        header = _header(self.samplerate, self.channels, self.sampwidth, self._data_bytes)
        os.pwrite(fd, header[4:], 4)
        self._flushed_bytes = self._data_bytes

    def _keep_whole_frames(self) -> None:
        """After a failed write: cut a partial frame and make the header count what is left.

        Both only rewrite or shorten what is already allocated, so they work on a full disk.
        """
        fd = self._fd
        assert fd is not None
        self._data_bytes -= self._data_bytes % self._block_align
        try:
            os.ftruncate(fd, HEADER_BYTES + self._data_bytes)
            os.lseek(fd, 0, os.SEEK_END)
            self._write_sizes(fd)
            os.fsync(fd)
        except OSError:
            pass  # ``repair`` puts the header right from what is on disk

    @staticmethod
    def _write_all(fd: int, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]


class _Layout(NamedTuple):
    samplerate: int
    channels: int
    sampwidth: int
    data_size_at: int  # offset of the data chunk's size field
    data_at: int  # offset of the first audio byte
    data_size: int  # the data size the header states
    file_size: int


def _layout(path: Path, handle) -> _Layout:
    not_wav = WavFormatError(_("{path} is not a WAV recording", path=path))
    file_size = os.fstat(handle.fileno()).st_size
    head = handle.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise not_wav
    fmt: tuple[int, int, int, int] | None = None
    position = 12
    while position + 8 <= file_size:
        handle.seek(position)
        chunk_id, size = struct.unpack("<4sI", handle.read(8))
        if chunk_id == b"fmt ":
            body = handle.read(16)
            if len(body) < 16:
                raise not_wav
            tag, channels, samplerate, _rate, _align, bits = struct.unpack("<HHIIHH", body)
            fmt = (tag, channels, samplerate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise not_wav
            tag, channels, samplerate, bits = fmt
            if tag != _PCM or channels < 1 or bits % 8 or not bits:
                raise not_wav
            return _Layout(
                samplerate, channels, bits // 8, position + 4, position + 8, size, file_size
            )
        position += 8 + size + (size & 1)
    raise not_wav


def wav_info(path: Path | str) -> WavInfo:
    """The format and length of a PCM WAV file (the frames both stated and on disk)."""
    path = Path(path)
    with path.open("rb") as handle:
        layout = _layout(path, handle)
    on_disk = max(0, layout.file_size - layout.data_at)
    block_align = layout.channels * layout.sampwidth
    frames = min(layout.data_size, on_disk) // block_align
    return WavInfo(layout.samplerate, layout.channels, layout.sampwidth, frames)


def repair(path: Path | str) -> WavRepair:
    """Make the header of a recording match the audio on disk (after a kill or power cut).

    The data chunk is taken to run to the end of the file, as ``SegmentWriter`` writes it:
    the sizes are set to the whole frames present and a trailing partial frame is cut.
    Nothing else changes; a file that is already right is left untouched (``repaired`` False).
    """
    path = Path(path)
    with path.open("r+b") as handle:
        layout = _layout(path, handle)
        block_align = layout.channels * layout.sampwidth
        on_disk = max(0, layout.file_size - layout.data_at)
        data_bytes = min(on_disk - on_disk % block_align, _MAX_DATA_BYTES)
        data_bytes -= data_bytes % block_align
        riff_size = layout.data_at - 8 + data_bytes
        handle.seek(4)
        (stated_riff,) = struct.unpack("<I", handle.read(4))
        end = layout.data_at + data_bytes
        repaired = (
            layout.data_size != data_bytes or stated_riff != riff_size or layout.file_size != end
        )
        if repaired:
            if layout.file_size > end:
                handle.truncate(end)
            handle.seek(4)
            handle.write(struct.pack("<I", riff_size))
            handle.seek(layout.data_size_at)
            handle.write(struct.pack("<I", data_bytes))
            handle.flush()
            os.fsync(handle.fileno())
    frames = data_bytes // block_align
    return WavRepair(frames, frames / layout.samplerate, repaired)
