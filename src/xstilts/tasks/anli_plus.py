"""ANLI+: one NLI task trained on ANLI R1-R3, MNLI and SNLI training data together (the paper's intermediate task,
after Nie et al. 2020), with one head.

Model selection is on ANLI's dev sets of R1-R3 joined (3,200 pairs), a choice made here: the adversarial rounds are
what ANLI+ adds over MNLI, and their joined dev set matches the joined rounds in training (MNLI's and SNLI's dev sets
would favour the easy part). It is read through task ``anli``, with that task's data source.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.mnli import NLI_LABELS
from xstilts.tasks.registry import get_task, register


@register
class ANLIPlus(Task):
    name = "anli_plus"
    kind = CLASSIFICATION
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",)}
    labels = NLI_LABELS
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "facebook/anli"
    parts: ClassVar[tuple[str, ...]] = ("anli", "mnli", "snli")  # the tasks whose training sets are joined
    local_layout = (
        "a directory with anli/ (ANLI v1.0: R1-R3/train.jsonl), mnli/ (GLUE MNLI: train.tsv) and snli/"
        " (SNLI 1.0: snli_1.0_train.jsonl); model selection reads task anli's dev data"
    )
    train_from = SplitRef("anli_plus", "train")
    select_on = SplitRef("anli", "dev")
    description = "ANLI R1-R3 + MNLI + SNLI training data as one NLI task; selected on ANLI dev R1-R3"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        """ANLI from ``dataset`` at ``revision``; MNLI and SNLI from their own tasks' hub datasets."""
        examples = get_task("anli").read_hub(dataset, revision, split, language)
        for part in self.parts[1:]:
            task = get_task(part)
            examples += task.read_hub(task.hub_dataset, None, split, language)
        return examples

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return [example for part in self.parts for example in get_task(part).read_local(root / part, split, language)]

    def describe(self) -> dict[str, object]:
        hubs = [get_task(part).hub_dataset for part in self.parts]
        return {
            **super().describe(),
            "hub": " + ".join(f"{hub} ({part})" for hub, part in zip(hubs, self.parts, strict=True)),
        }
