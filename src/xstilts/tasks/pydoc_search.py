"""pydoc_search: code search on the running Python's standard library (``pydoc_pair``'s corpus) as dual-encoder
retrieval: each docstring queries the split's functions; trained contrastively on the train split's pairs, scored
by full-pool MRR (``metrics.ranking``), offline."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.code_search_net import search_pairs, search_set
from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.kinds.dual_encoder import DUAL_ENCODER
from xstilts.tasks.base import Role, SplitRef
from xstilts.tasks.pydoc_pair import StdlibCorpusTask
from xstilts.tasks.registry import register


@register
class PydocSearch(StdlibCorpusTask):
    name = "pydoc_search"
    kind = DUAL_ENCODER
    roles = (Role.INTERMEDIATE, Role.TARGET)
    metric = "code_search_mrr"
    selection_metric = "mrr"
    train_from = SplitRef("pydoc_search", "train")
    select_on = SplitRef("pydoc_search", "dev")
    description = "Docstring-to-function search on the standard library (offline; dual encoder, MRR)"

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        functions = self.functions(root, split)
        if split == "train":
            return list(search_pairs(functions, f"{self.name}-train"))
        return [search_set(functions, f"{self.name}-{split}")]
