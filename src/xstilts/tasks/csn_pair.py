"""csn_pair: CodeSearchNet docstring–function matching as pair classification (CodeBERT's code-search recipe), one
configuration per programming language (python, java, go, php, javascript, ruby), selected with ``tasks: {csn_pair:
{languages: [python, java]}}`` (default: all six; model selection on the first one's dev data).

Data: CodeXGLUE's filtered CodeSearchNet (``Code-Text/code-to-text``): on the hub ``google/code_x_glue_ct_code_to_text``
with one config per language and splits train / validation / test, columns ``id, repo, path, func_name,
original_string, language, code, code_tokens, docstring, docstring_tokens, sha, url`` (its dataset card and
``dataset_info``: https://huggingface.co/datasets/google/code_x_glue_ct_code_to_text; the repository was converted to
Parquet, so ``datasets`` 4.x loads it without the old loading script); or local jsonl in CodeXGLUE's layout
``LANGUAGE/{train,valid,test}.jsonl`` (CodeSearchNet's own records read the same).

Training is large (CodeXGLUE's train holds about 908k functions over the six languages), so each language's train
split is capped at its first :data:`TRAIN_CAP` functions by default; the negatives are built after the cap
(``data.code_search_net.pair_negatives``: a seeded permutation keyed by task, language and split), so every
example is a (docstring, code) pair labelled match / no match, balanced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.data.code_search_net import (
    CSN_SPLITS,
    MATCH,
    NEGATIVES_RECIPE,
    NO_MATCH,
    CodeFunction,
    pair_examples,
    read_code_search_net,
)
from xstilts.data.examples import Example
from xstilts.data.files import first_existing
from xstilts.data.sources import Split
from xstilts.hub import load_hub_split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

PROGRAMMING_LANGUAGES = ("python", "java", "go", "php", "javascript", "ruby")
TRAIN_CAP = 20_000  # functions per language of the train split (each gives a match and a no-match pair)
_HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


def functions_from_rows(rows: Any) -> list[CodeFunction]:
    """CodeXGLUE's hub rows as the jsonl reader returns them (the same fields; the url identifies the code)."""
    return [
        CodeFunction(row["url"], " ".join(row["docstring_tokens"]), " ".join(row["code_tokens"]), row["url"])
        for row in rows
    ]


def local_functions(root: Path, language: str, split: Split) -> list[CodeFunction]:
    stem = CSN_SPLITS[split]
    return read_code_search_net(first_existing([root / language / f"{stem}.jsonl", root / f"{language}_{stem}.jsonl"]))


@register
class CodeSearchNetPair(Task):
    name = "csn_pair"
    kind = CLASSIFICATION
    domain = "code"
    roles = (Role.INTERMEDIATE,)
    languages = PROGRAMMING_LANGUAGES
    splits = {split: PROGRAMMING_LANGUAGES for split in ("train", "dev", "test")}
    training_languages = PROGRAMMING_LANGUAGES
    labels = (NO_MATCH, MATCH)
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "google/code_x_glue_ct_code_to_text"
    local_layout = (
        "CodeXGLUE code-to-text jsonl: LANGUAGE/{train,valid,test}.jsonl (url, docstring_tokens, code_tokens)"
    )
    train_from = SplitRef("csn_pair", "train")
    select_on = SplitRef("csn_pair", "dev")
    data_recipe = NEGATIVES_RECIPE
    description = (
        f"CodeSearchNet docstring-function matching (pair classification; train capped at {TRAIN_CAP:,}/language)"
    )

    def _pairs(self, functions: list[CodeFunction], language: str, split: Split) -> list[Example]:
        if split == "train":
            functions = functions[:TRAIN_CAP]
        return list(pair_examples(functions, self.name, language, split))

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, language, _HUB_SPLITS[split], revision)
        return self._pairs(functions_from_rows(rows), language, split)

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return self._pairs(local_functions(root, language, split), language, split)
