"""Crash-safe files, and the layout of a phase directory.

Every file that another step trusts is written to a temporary name and renamed. A phase directory is complete
only when its ``DONE`` marker exists; the marker is the last thing written, so a ``kill -9`` at any moment leaves
either a complete phase or one that is redone/resumed. ``PhaseDir`` is the one place that names the files of a
phase directory: the executors, the training and evaluation phases, the models' save/load and the store all
reach a phase's files through it, so the layout (which users' run directories depend on) cannot drift.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DONE_MARKER = "DONE"
PHASE_JSON = "phase.json"
PHASES = "phases"


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
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
