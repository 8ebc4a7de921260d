"""pydoc_pair: docstring–function matching as pair classification on the running Python's standard library, an
offline code intermediate task (for the demo and tests) that needs no download.

The corpus is built at run time (``data.pydoc_corpus``: functions with a docstring of at least 3 words and a body of
at least 3 lines, split by a hash of the module name) and written in CodeSearchNet's JSON lines, which the same
reader as ``csn_pair`` reads; negatives follow ``csn_pair``'s recipe (``data.code_search_net.pair_negatives``). The
default source ``stdlib:`` resolves to a directory named by the Python version and the corpus's content hash, which
the feature-cache key holds.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.code_search_net import (
    CSN_SPLITS,
    MATCH,
    NEGATIVES_RECIPE,
    NO_MATCH,
    pair_examples,
    read_code_search_net,
)
from xstilts.data.examples import Example
from xstilts.data.sources import STDLIB, DataSource, Split
from xstilts.errors import XstiltsError
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

PYDOC_LAYOUT = "python/{train,valid,test}.jsonl in CodeSearchNet's JSON lines (default stdlib:, built at run time)"


class StdlibCorpusTask(Task):
    """The pydoc tasks' shared facts: English docstrings of Python code, built from the standard library."""

    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",), "test": ("en",)}
    hub_dataset = "(built from the running Python's standard library)"
    local_layout = PYDOC_LAYOUT
    default_source = DataSource(source="local", path=STDLIB)
    domain = "code"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        raise XstiltsError(f"task {self.name!r} is built from the standard library, not read from the hub")

    def functions(self, root: Path, split: Split) -> list:
        return read_code_search_net(root / "python" / f"{CSN_SPLITS[split]}.jsonl")


@register
class PydocPair(StdlibCorpusTask):
    name = "pydoc_pair"
    kind = CLASSIFICATION
    roles = (Role.INTERMEDIATE,)
    labels = (NO_MATCH, MATCH)
    metric = "accuracy"
    selection_metric = "accuracy"
    train_from = SplitRef("pydoc_pair", "train")
    select_on = SplitRef("pydoc_pair", "dev")
    data_recipe = NEGATIVES_RECIPE
    description = "Docstring-function matching on the standard library (offline; pair classification)"

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return list(pair_examples(self.functions(root, split), self.name, "python", split))
