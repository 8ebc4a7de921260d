"""devign: CodeXGLUE defect detection (Devign's C functions from FFmpeg and QEMU): is a function vulnerable? A
single-sequence binary classification with no natural language, the code-only control among the intermediate
tasks. 21,854 train / 2,732 dev / 2,732 test; metric accuracy (CodeXGLUE's evaluator).

Local files: CodeXGLUE's ``Code-Code/Defect-detection/dataset`` after its ``preprocess.py``:
``{train,valid,test}.jsonl`` with ``project, commit_id, target (0/1), func, idx`` per line (the repository's
``evaluator/test.jsonl`` shows the record). Hub: ``google/code_x_glue_cc_defect_detection`` (Parquet; columns ``id,
func, target`` (bool), ``project, commit_id``; splits train / validation / test:
https://huggingface.co/datasets/google/code_x_glue_cc_defect_detection).
The function's text is its white-space-separated tokens joined by single spaces, as CodeXGLUE's ``code/run.py`` does.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.code_search_net import CSN_SPLITS
from xstilts.data.examples import ClassificationExample, Example
from xstilts.data.files import check_label, check_nonempty, read_jsonl, require_file, text_field, typed_field
from xstilts.data.sources import Split
from xstilts.hub import load_hub_split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

_HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


def read_devign_jsonl(path: Path) -> list[ClassificationExample]:
    require_file(path, "CodeXGLUE defect-detection JSON lines: func, target, idx per line")
    examples = []
    for line, record in read_jsonl(path):
        target = check_label(path, line, "target", typed_field(path, line, record, "target", int), (0, 1))
        func = " ".join(check_nonempty(path, line, "func", text_field(path, line, record, "func")).split())
        idx = typed_field(path, line, record, "idx", int)
        examples.append(ClassificationExample(f"devign-{idx}", func, None, str(target)))
    return examples


@register
class Devign(Task):
    name = "devign"
    kind = CLASSIFICATION
    domain = "code"
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)  # the code is C; "en" is the benchmarks' name for the English-side training data
    splits = {"train": ("en",), "dev": ("en",), "test": ("en",)}
    labels = ("0", "1")
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "google/code_x_glue_cc_defect_detection"
    local_layout = "CodeXGLUE defect detection: {train,valid,test}.jsonl (project, commit_id, target, func, idx)"
    train_from = SplitRef("devign", "train")
    select_on = SplitRef("devign", "dev")
    description = "CodeXGLUE defect detection (Devign): vulnerable C function or not (code only)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, None, _HUB_SPLITS[split], revision)
        return [
            ClassificationExample(f"devign-{r['id']}", " ".join(r["func"].split()), None, str(int(r["target"])))
            for r in rows
        ]

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return list(read_devign_jsonl(root / f"{CSN_SPLITS[split]}.jsonl"))
