"""The rollout log: one JSON line per scored rollout, globally and gaplessly indexed.

prime-rl scores rollouts in several env-server worker PROCESSES that all append to one file,
and they interleave, so the seed's in-process counter cannot attribute a line to a rollout
or a step. Here every append happens under an exclusive flock on `<log>.lock`, reads and
advances a sidecar counter `<log>.count`, and writes the whole line in one write call, so
`index` is the line number in file order (0, 1, 2, ...) whichever process wrote it.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Mapping

PROGRESS_EVERY = 1000  # the seed's cadence; the agent's log parser knows the line


def _coerce(value: Any) -> Any:
    """The seed's rule: JSON primitives as they are, anything else as its str()."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def stderr_line(message: str) -> None:
    print(f"[calibrated_qa] {message}", file=sys.stderr, flush=True)


def count_lines(path: Path) -> tuple[int, int, bool]:
    """(newline count, size in bytes, whether the last byte is a newline) of a file."""
    lines, size, last = 0, 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
            size += len(chunk)
            last = chunk[-1:]
    return lines, size, last == b"\n" or size == 0


class RolloutLog:
    """Appends records to `path`; safe across processes that share the file system."""

    def __init__(self, path: str | os.PathLike, batch_size: int | None = None, start_step: int = 0):
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
        if isinstance(start_step, bool) or not isinstance(start_step, int) or start_step < 0:
            raise ValueError(f"start_step must be a non-negative integer, got {start_step!r}")
        self.path = Path(path)
        self.lock_path = Path(f"{self.path}.lock")
        self.count_path = Path(f"{self.path}.count")
        self.batch_size = batch_size
        self.start_step = start_step

    def step_of(self, index: int) -> int | None:
        """Valid because prime-rl runs with max_async_level = 0: each block of batch_size
        lines is one step. It assumes this file began at start_step (one file per attempt)."""
        if self.batch_size is None:
            return None
        return self.start_step + index // self.batch_size

    def existing_records(self) -> int:
        """How many lines the file already holds (0 if absent); for a warning at load time."""
        try:
            return count_lines(self.path)[0]
        except FileNotFoundError:
            return 0

    def append(self, fields: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Write one record: `fields` (the seed's keys, in order), then index and step, then
        `extra`, then pid and ts. Returns the record as written.

        A failure is printed to stderr AND re-raised: a lost rollout must never be silent.
        """
        try:
            record = self._append(fields, extra or {})
        except Exception as e:
            stderr_line(f"LOG ERROR writing {self.path}: {type(e).__name__}: {e}")
            raise
        written = record["index"] + 1
        if written % PROGRESS_EVERY == 0:
            stderr_line(f"Wrote {written} records to {self.path}")
        return record

    def _append(self, fields: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Opened per append, never cached: a flock belongs to an open file description, which
        # a forked worker would share with its parent, and then they would not exclude.
        lock_fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            log_fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                index, size = self._current_count(log_fd)
                record = {k: _coerce(v) for k, v in fields.items()}
                record["index"] = index
                record["step"] = self.step_of(index)
                record.update({k: _coerce(v) for k, v in extra.items()})
                record["pid"] = os.getpid()
                record["ts"] = time.time()  # inside the lock, so ts follows file order
                # backslashreplace: a lone surrogate in model text becomes a valid JSON \udcXX
                # escape instead of an encoding error that would lose the rollout.
                line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")
                _write_all(log_fd, line)
                self._store_count(index + 1, size + len(line))
            finally:
                os.close(log_fd)
        finally:
            os.close(lock_fd)  # closing the descriptor releases the lock
        return record

    def _current_count(self, log_fd: int) -> tuple[int, int]:
        """(records so far, file size), trusting the sidecar only if it matches the file size.

        A mismatch means the file was deleted, truncated, written by someone else or a writer
        died between its two writes: then recount lines, which is slow but always right.
        """
        size = os.fstat(log_fd).st_size
        stored = self._load_count()
        if stored is not None and stored[1] == size:
            return stored[0], size
        if size == 0:
            if stored is not None and stored[0] != 0:
                stderr_line(f"{self.path} is empty but its counter said {stored[0]}: index restarts at 0")
            return 0, 0
        lines, size, terminated = count_lines(self.path)
        if not terminated:
            # A torn last line (a writer killed mid-write): end it so the next record is whole.
            # It keeps its own line number, so index stays equal to the line number.
            _write_all(log_fd, b"\n")
            lines, size = lines + 1, size + 1
        if stored is not None:
            stderr_line(f"counter of {self.path} did not match the file: recounted {lines} records")
        return lines, size

    def _load_count(self) -> tuple[int, int] | None:
        try:
            with open(self.count_path, encoding="ascii") as f:
                count, size = (int(part) for part in f.read().split())
        except (FileNotFoundError, ValueError):
            return None
        return (count, size) if count >= 0 and size >= 0 else None

    def _store_count(self, count: int, size: int) -> None:
        fd = os.open(self.count_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            data = f"{count} {size}\n".encode("ascii")
            os.pwrite(fd, data, 0)
            os.ftruncate(fd, len(data))
        finally:
            os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    """One write call in practice (regular files take it whole); the loop only guards a
    short write, which the lock keeps from interleaving with another writer anyway."""
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        if n <= 0:
            raise OSError(f"short write ({n} bytes)")
        view = view[n:]
