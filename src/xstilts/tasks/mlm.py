"""Continued masked language modelling as a pseudo-task, so that a mixed intermediate phase can keep training
the encoder's MLM objective on plain text in many languages (the paper's alternative to intermediate tasks).

Data: a local directory with one ``LANG.txt`` per language (one document or sentence per line), or a hub text
dataset named ``id:config-template`` (default: Wikipedia, ``wikimedia/wikipedia:20231101.{language}``). Which
languages are trained on is ``tasks: {mlm: {languages: [...]}}`` in the experiment. It has no dev set: model
selection uses the other tasks of the mix (a phase with only ``mlm`` keeps its last epoch).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example, TextExample
from xstilts.data.sources import DataSource, Split
from xstilts.data.text import read_hub_text, read_text_file, text_file
from xstilts.kinds.masked_lm import MASKED_LM
from xstilts.languages import LANGUAGES
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

MLM_LANGUAGES = tuple(LANGUAGES)


@register
class MaskedLanguageModelling(Task):
    name = "mlm"
    kind = MASKED_LM
    roles = (Role.INTERMEDIATE,)
    languages = MLM_LANGUAGES
    splits = {"train": MLM_LANGUAGES}
    metric = ""  # no dev metric: see the module docstring
    selection_metric = ""
    hub_dataset = "wikimedia/wikipedia:20231101.{language}"
    local_layout = "a directory with one LANG.txt per language (UTF-8, one document or sentence per line)"
    train_from = SplitRef("mlm", "train")
    select_on = SplitRef("mlm", "train")
    eval_split = "train"
    description = "Masked language modelling on plain text (continued pretraining)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        return self._hub_examples(dataset, revision, language, None)

    def read_sample(self, split: Split, language: str, source: DataSource, limit: int | None) -> list[Example]:
        """A limit goes into the hub reader, which streams a deterministic sample of that many documents rather
        than the whole language (``xstilts.data.text.read_hub_text``)."""
        if source.source == "hub" and limit:
            self.check_split(split, language)
            return self._hub_examples(source.dataset or self.hub_dataset, source.revision, language, limit)
        return super().read_sample(split, language, source, limit)

    @staticmethod
    def _hub_examples(dataset: str, revision: str | None, language: str, limit: int | None) -> list[Example]:
        texts = read_hub_text(dataset, revision, language, limit)
        return [TextExample(f"mlm-{language}-{i}", text) for i, text in enumerate(texts)]

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        texts = read_text_file(text_file(root, language))
        return [TextExample(f"mlm-{language}-{i}", text) for i, text in enumerate(texts)]
