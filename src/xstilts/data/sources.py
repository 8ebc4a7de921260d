"""Where a task's files come from (``DataSource``), and the names of a task's splits.

Base-layer facts that readers, tasks, phases and the experiment spec all share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

Split = Literal["train", "dev", "test"]

# Training data and model selection are English unless a phase says otherwise (the paper's zero-shot setting).
ENGLISH = "en"


EMBEDDED = "embedded:"
EMBEDDED_ROOT = Path(__file__).resolve().parent.parent / "demo" / "data"


class DataSource(BaseModel):
    """Where a task's files come from: the hub (default) or a local directory in the official format.

    A local path ``embedded:NAME`` means the data shipped inside the package (``xstilts/demo/data/NAME``);
    it keeps phase ids the same wherever the package is installed.
    """

    model_config = ConfigDict(extra="forbid")

    source: Literal["hub", "local"] = "hub"
    path: str | None = None
    dataset: str | None = None
    revision: str | None = None


# A local path ``stdlib:`` means the docstring-function corpus built from the running Python's standard library
# (``data.pydoc_corpus``), in CodeSearchNet's format; the directory it resolves to names the version and content hash.
STDLIB = "stdlib:"
# A local path ``scenes:`` means the seeded scene suite (``data.scenes``) in XVNLI's layout, generated into the
# cache on first use; like ``stdlib:`` it keeps phase ids the same on every machine.
SCENES = "scenes:"


def resolve_local(path: str) -> Path:
    if path == STDLIB:
        from xstilts.data.pydoc_corpus import stdlib_corpus

        return stdlib_corpus()
    if path == SCENES:
        from xstilts.data.scenes import default_scene_suite

        return default_scene_suite()
    if path.startswith(EMBEDDED):
        return EMBEDDED_ROOT / path[len(EMBEDDED) :]
    return Path(path).expanduser()
