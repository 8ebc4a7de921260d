"""CCG supertagging (CCGbank): an English intermediate task in the STILTs line of work (as in jiant).

CCGbank is licensed (LDC2005T13), so there is no hub copy: the data are local files only, converted once by the
user from CCGbank's AUTO files (sections 02-21 train, 00 dev, 23 test by convention) into the tagging tsv
format that UD-POS and PAN-X use. The category inventory comes with the data (``tags.txt``), since it depends
on the conversion (CCGbank has about 1,300 categories; many setups keep the 425 frequent ones), and it fixes
the head's output classes; a file tag outside it is an error naming the file and line.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.conll import read_tagging_tsv
from xstilts.data.examples import Example
from xstilts.data.files import check_unique, read_lines, require_file
from xstilts.data.sources import DataSource, Split, resolve_local
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.kinds.token_tagging import TOKEN_TAGGING
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

TAGS_FILE = "tags.txt"


def read_tag_inventory(path: Path) -> tuple[str, ...]:
    """One category per line, each once; blank lines and whitespace inside a category are errors."""
    tags: list[str] = []
    seen: dict[str, int] = {}
    for number, line in read_lines(require_file(path, "the supertag inventory: one category per line")):
        tag = line.strip()
        if not tag or any(c.isspace() for c in tag):
            raise DataFormatError(path, f"expected one category without spaces per line, found {line!r}", number)
        check_unique(path, number, "category", tag, seen)
        tags.append(tag)
    if not tags:
        raise DataFormatError(path, "empty supertag inventory")
    return tuple(tags)


@register
class CCG(Task):
    name = "ccg"
    kind = TOKEN_TAGGING
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",), "test": ("en",)}
    metric = "tag_accuracy"
    selection_metric = "accuracy"
    hub_dataset = ""
    local_layout = (
        f"a directory with {TAGS_FILE} (the supertag inventory, one category per line) and"
        " {train,dev,test}.tsv ('word<TAB>supertag' per line, a blank line between sentences, e.g. CCGbank"
        " sections 02-21 / 00 / 23)"
    )
    train_from = SplitRef("ccg", "train")
    select_on = SplitRef("ccg", "dev")
    default_source = DataSource(source="local")
    description = "CCG supertagging (CCGbank; licensed, local files only)"

    def label_set(self, source: DataSource) -> tuple[str, ...]:
        if source.source != "local" or not source.path:
            raise XstiltsError(f"task 'ccg' needs local data (CCGbank is licensed): {self.local_layout}")
        return read_tag_inventory(resolve_local(source.path) / TAGS_FILE)

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        raise XstiltsError(f"task 'ccg' has no hub copy (CCGbank is licensed); use local data: {self.local_layout}")

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return list(read_tagging_tsv(root / f"{split}.tsv", read_tag_inventory(root / TAGS_FILE), f"ccg-{split}"))
