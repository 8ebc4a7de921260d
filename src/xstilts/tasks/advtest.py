"""advtest: CodeXGLUE's AdvTest code search (``Text-Code/NL-code-search-Adv``): Python docstrings retrieve their
function from every function of the split, whose names and variables are replaced by placeholders in dev and test
(a test of generalisation beyond identifier overlap). 251,820 train / 9,604 dev / 19,210 test. Score: MRR over the
whole pool, as the official ``evaluator/evaluator.py`` computes it from a full ranking (``metrics.ranking``).

Local files: ``{train,valid,test}.jsonl`` after the task's ``dataset/preprocess.py``: CodeSearchNet records with
``url`` (the query's id) and ``idx`` (the code's id), ``docstring_tokens`` and ``code_tokens`` or
``function_tokens`` (``data.code_search_net``). Hub: ``google/code_x_glue_tc_nl_code_search_adv``, splits train /
validation / test with CodeSearchNet's columns (its card: https://huggingface.co/datasets/google/code_x_glue_tc_nl_code_search_adv).
That repository still builds with a loading script, which ``datasets`` 4.x refuses; its Parquet conversion, the
revision ``refs/convert/parquet``, is read instead unless a revision is given. On the hub the url identifies the code.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.code_search_net import CSN_SPLITS, CodeFunction, read_code_search_net, search_pairs, search_set
from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.hub import load_hub_split
from xstilts.kinds.dual_encoder import DUAL_ENCODER
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.csn_pair import functions_from_rows
from xstilts.tasks.registry import register

PARQUET_REVISION = "refs/convert/parquet"
_HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


@register
class AdvTest(Task):
    name = "advtest"
    kind = DUAL_ENCODER
    domain = "code"
    roles = (Role.INTERMEDIATE, Role.TARGET)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",), "test": ("en",)}
    metric = "code_search_mrr"
    selection_metric = "mrr"
    hub_dataset = "google/code_x_glue_tc_nl_code_search_adv"
    local_layout = (
        "CodeXGLUE AdvTest jsonl: {train,valid,test}.jsonl (url, idx, docstring_tokens, code/function_tokens)"
    )
    train_from = SplitRef("advtest", "train")
    select_on = SplitRef("advtest", "dev")
    description = "CodeXGLUE AdvTest: docstring-to-function search with normalised identifiers (dual encoder, MRR)"

    def _examples(self, functions: list[CodeFunction], split: Split) -> list[Example]:
        if split == "train":
            return list(search_pairs(functions, f"{self.name}-train"))
        return [search_set(functions, f"{self.name}-{split}")]

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, "default", _HUB_SPLITS[split], revision or PARQUET_REVISION)
        return self._examples(functions_from_rows(rows), split)

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return self._examples(read_code_search_net(root / f"{CSN_SPLITS[split]}.jsonl"), split)
