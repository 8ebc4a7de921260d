"""The embedded demonstration tasks: a miniature multilingual benchmark shipped inside the package.

``demo_nli`` is a 3-way NLI target (English train and dev, test in nine languages); ``demo_qa`` (extractive
QA) and ``demo_para`` (paraphrase identification) are English intermediate tasks. They exist so that
``xstilts demo`` shows real zero-shot transfer offline; they are not a benchmark (see demo/data/README.md).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.sources import EMBEDDED, DataSource, Split
from xstilts.data.squad_json import read_squad_json
from xstilts.data.tsv import read_pawsx_tsv, read_xtreme_pair_tsv
from xstilts.errors import XstiltsError
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.kinds.span_extraction import SPAN_EXTRACTION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.mnli import NLI_LABELS
from xstilts.tasks.registry import register

DEMO_NLI_LANGUAGES = ("ar", "de", "en", "fi", "hi", "ru", "sw", "tr", "zh")


class _Embedded(Task):
    hub_dataset = "(embedded in xstilts)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        raise XstiltsError(f"task {self.name!r} is embedded in xstilts and not on the hub; use its default source")


@register
class DemoNLI(_Embedded):
    name = "demo_nli"
    kind = CLASSIFICATION
    roles = (Role.TARGET,)
    languages = DEMO_NLI_LANGUAGES
    splits = {"train": ("en",), "dev": ("en",), "test": DEMO_NLI_LANGUAGES}
    labels = NLI_LABELS
    metric = "accuracy"
    selection_metric = "accuracy"
    local_layout = "XTREME's pair layout: {train,dev,test}-LANG.tsv (sentence1, sentence2, label)"
    train_from = SplitRef("demo_nli", "train")
    select_on = SplitRef("demo_nli", "dev")
    default_source = DataSource(source="local", path=f"{EMBEDDED}demo_nli")
    description = "Demonstration NLI (embedded; English train/dev, test in 9 languages)"

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return list(read_xtreme_pair_tsv(root / f"{split}-{language}.tsv", self.labels, f"demo_nli-{split}-{language}"))


@register
class DemoQA(_Embedded):
    name = "demo_qa"
    kind = SPAN_EXTRACTION
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    metric = "squad_v1"
    selection_metric = "f1"
    local_layout = "SQuAD v1.1 JSON: train-v1.1.json, dev-v1.1.json"
    train_from = SplitRef("demo_qa", "train")
    select_on = SplitRef("demo_qa", "dev")
    default_source = DataSource(source="local", path=f"{EMBEDDED}demo_qa")
    description = "Demonstration extractive QA (embedded, English)"

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return list(read_squad_json(root / f"{split}-v1.1.json"))


@register
class DemoParaphrase(_Embedded):
    name = "demo_para"
    kind = CLASSIFICATION
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    labels = ("0", "1")
    metric = "accuracy"
    selection_metric = "accuracy"
    local_layout = "PAWS-X's layout: train.tsv, dev_2k.tsv (id, sentence1, sentence2, label)"
    train_from = SplitRef("demo_para", "train")
    select_on = SplitRef("demo_para", "dev")
    default_source = DataSource(source="local", path=f"{EMBEDDED}demo_para")
    description = "Demonstration paraphrase identification (embedded, English)"

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        name = {"train": "train.tsv", "dev": "dev_2k.tsv"}[split]
        return list(read_pawsx_tsv(root / name, self.labels, f"demo_para-{split}"))
