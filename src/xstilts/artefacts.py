"""Crash-safe files: every file that another step trusts is written to a temporary name and renamed.

A phase directory is complete only when its ``DONE`` marker exists; the marker is the last thing written,
so a ``kill -9`` at any moment leaves either a complete phase or one that is redone/resumed.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

DONE_MARKER = "DONE"
PHASE_JSON = "phase.json"


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


def is_done(phase_dir: Path) -> bool:
    return (phase_dir / DONE_MARKER).exists()


def mark_done(phase_dir: Path) -> None:
    atomic_write_text(phase_dir / DONE_MARKER, "")


def file_stem(name: str) -> str:
    """A file name from a label that may hold variant names (``mnli/lora``): path separators and other
    characters that are not portable in file names become ``_``."""
    return re.sub(r"[^A-Za-z0-9._@~+=-]", "_", name)
