"""Crash-safe files, the layout of a phase directory, and where xstilts keeps its machine-wide caches.

Every file that another step trusts is written to a temporary name and renamed. A phase directory is complete
only when its ``DONE`` marker exists; the marker is the last thing written, so a ``kill -9`` at any moment leaves
either a complete phase or one that is redone/resumed. ``PhaseDir`` is the one place that names the files of a
phase directory: the executors, the training and evaluation phases, the models' save/load and the store all
reach a phase's files through it, so the layout (which users' run directories depend on) cannot drift.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.errors import XstiltsError

DONE_MARKER = "DONE"
PHASE_JSON = "phase.json"
PHASES = "phases"
DAMAGED = "damaged"  # <run>/damaged/: phase directories whose files no longer match their checksums
CHECKSUMS = "checksums"  # phase.json: artefact file -> {"size", "sha256"}


def xstilts_home() -> Path:
    """``$XSTILTS_CACHE``, by default ``~/.cache/xstilts``: caches shared by all runs on this machine (features,
    the demo model, generated corpora and images)."""
    return Path(os.environ.get("XSTILTS_CACHE", Path.home() / ".cache" / "xstilts")).expanduser()


class DiskFull(XstiltsError):
    """A write failed for want of space; the message says where, how much was being written and what is free."""


def _size(count: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


def disk_full(path: Path, needed: int) -> DiskFull:
    """The error for a write of ``needed`` bytes to ``path`` that found the device full. Whatever was complete
    before it stays in force (every write here is to a temporary name, renamed when complete)."""
    folder = next((p for p in (path, *path.parents) if p.exists()), Path("."))
    free = shutil.disk_usage(folder).free
    return DiskFull(
        f"{path}: no space left on the device (writing {_size(needed)}, {_size(free)} free there); free at least"
        f" {_size(max(needed - free, needed))} and run the same command again to resume"
    )


def is_disk_full(err: BaseException) -> bool:
    """ENOSPC or EDQUOT, as an ``OSError`` or as the message of a library's own error (safetensors raises
    ``SafetensorError: ... No space left on device (os error 28)``)."""
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    return any(os.strerror(code) in str(err) for code in (errno.ENOSPC, errno.EDQUOT))


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if is_disk_full(err):
            raise disk_full(path, len(data)) from err
        raise


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def file_stem(name: str) -> str:
    """A file name from a label that may hold variant names (``mnli/lora``): path separators and other
    characters that are not portable in file names become ``_``."""
    return re.sub(r"[^A-Za-z0-9._@~+=-]", "_", name)


@dataclass(frozen=True)
class PhaseDir:
    """The files of one phase directory (``<run>/phases/<id>/``).

    A trained phase holds ``encoder/`` (``save_pretrained``: weights, config, tokenizer) or, for an adapter
    artefact, ``adapters/<name>/``, ``fusions/<name>/`` and ``adapter_setup.json``; always ``heads.json`` and
    ``heads.safetensors``; ``train_state/`` while it trains (checkpoints, removed when done). An evaluation phase
    holds ``languages/<language>.json`` (one per finished language, so it resumes per language),
    ``predictions/<task>/<split>-<language>.<ext>`` and, for MAD-X, ``language_adapters.json``. Both end with
    ``phase.json`` (the record of truth) and then ``DONE``.
    """

    root: Path

    @classmethod
    def of(cls, run_dir: Path, phase_id: str) -> PhaseDir:
        return cls(run_dir / PHASES / phase_id)

    @staticmethod
    def all_in(run_dir: Path) -> list[PhaseDir]:
        """Every phase directory of a run, in name order (finished or not)."""
        return [PhaseDir(path) for path in sorted((run_dir / PHASES).glob("*")) if path.is_dir()]

    @property
    def id(self) -> str:
        return self.root.name

    @property
    def record_path(self) -> Path:
        return self.root / PHASE_JSON

    @property
    def done_marker(self) -> Path:
        return self.root / DONE_MARKER

    @property
    def train_state(self) -> Path:
        return self.root / "train_state"

    @property
    def encoder(self) -> Path:
        return self.root / "encoder"

    @property
    def heads_json(self) -> Path:
        return self.root / "heads.json"

    @property
    def heads_weights(self) -> Path:
        return self.root / "heads.safetensors"

    @property
    def adapter_setup(self) -> Path:
        return self.root / "adapter_setup.json"

    def adapter(self, name: str) -> Path:
        return self.root / "adapters" / name

    def fusion(self, name: str) -> Path:
        return self.root / "fusions" / name

    @property
    def languages(self) -> Path:
        return self.root / "languages"

    def language_record(self, language: str) -> Path:
        return self.languages / f"{language}.json"

    @property
    def language_adapters(self) -> Path:
        return self.root / "language_adapters.json"

    def predictions(self, task: str) -> Path:
        return self.root / "predictions" / task

    def prediction_file(self, task: str, split: str, language: str, extension: str) -> Path:
        return self.predictions(task) / f"{split}-{language}.{extension}"

    def is_done(self) -> bool:
        return self.done_marker.exists()

    def mark_done(self) -> None:
        atomic_write_text(self.done_marker, "")

    def is_adapter_artefact(self) -> bool:
        return self.adapter_setup.is_file()

    def read_record(self) -> Any:
        return read_json(self.record_path)

    def write_record(self, record: dict[str, Any]) -> None:
        atomic_write_json(self.record_path, record)

    def artefact_files(self) -> list[Path]:
        """Every file the phase leaves as its result: all but ``phase.json``, ``DONE``, ``train_state/`` (removed
        once done) and temporary files of an interrupted write."""
        skip = {self.record_path, self.done_marker}
        return sorted(
            path
            for path in self.root.rglob("*")
            if path.is_file() and path not in skip and self.train_state not in path.parents and path.suffix != ".tmp"
        )

    def checksums(self) -> dict[str, dict[str, Any]]:
        """Size and SHA-256 of every artefact file, by its path in the directory: what ``phase.json`` records;
        with its modification time, which lets ``damage`` skip re-hashing a file nothing has written since."""
        return {str(path.relative_to(self.root)): _checksum_with_time(path) for path in self.artefact_files()}

    def damage(self) -> list[str]:
        """What is wrong with a finished phase directory, each problem naming its file; empty when it is intact:
        ``phase.json`` present and readable, and every file it lists with the size and hash it was written with.
        A file whose size and modification time are those recorded is not re-hashed (a truncation, a rewrite or
        a copy changes one of them); a phase finished before checksums were recorded is checked for its
        ``phase.json`` only."""
        if not self.record_path.is_file():
            return [f"{DONE_MARKER} without {PHASE_JSON}"]
        try:
            record = self.read_record()
        except (OSError, ValueError) as err:
            return [f"{PHASE_JSON} unreadable ({err})"]
        expected = record.get(CHECKSUMS) if isinstance(record, dict) else None
        problems = []
        for name, written in (expected or {}).items():
            path = self.root / name
            if not path.is_file():
                problems.append(f"{name}: missing")
            elif path.stat().st_size != written["size"]:
                problems.append(f"{name}: {path.stat().st_size} bytes, {written['size']} when written")
            elif path.stat().st_mtime_ns == written.get("mtime_ns"):
                continue  # not written since: re-hashing every encoder of a grid on each rerun would take minutes
            elif file_checksum(path)["sha256"] != written["sha256"]:
                problems.append(f"{name}: changed since it was written (SHA-256 differs)")
        return problems

    def set_aside(self, run_dir: Path) -> Path:
        """Moves a damaged phase directory to ``<run>/damaged/<id>-<n>`` (kept to look at; out of the store's
        reach), so that the phase runs again from scratch; returns where it went."""
        folder = run_dir / DAMAGED
        folder.mkdir(parents=True, exist_ok=True)
        number = len(list(folder.glob(f"{self.id}-*"))) + 1
        while (folder / f"{self.id}-{number}").exists():
            number += 1
        aside = folder / f"{self.id}-{number}"
        self.root.rename(aside)
        return aside


# File times are coarse (a few milliseconds on Linux): a file rewritten within this long of being checksummed
# could keep its recorded time, so such a file's time is not recorded and it is always re-hashed ("racy git").
_RACY_NS = 2_000_000_000


def _checksum_with_time(path: Path) -> dict[str, Any]:
    checksum = file_checksum(path)
    mtime = path.stat().st_mtime_ns
    return {**checksum, "mtime_ns": mtime} if mtime < time.time_ns() - _RACY_NS else checksum


def file_checksum(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}
