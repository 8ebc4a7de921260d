"""What IGLUE's classification tasks share: zero-shot targets scored by accuracy, English training and selection,
local data in IGLUE's layouts (the hub copies that embed images are not read yet: their cards are unverified)."""

from __future__ import annotations

from typing import ClassVar

from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.errors import XstiltsError
from xstilts.tasks.base import Role, Task


class IGLUETask(Task):
    roles: ClassVar[tuple[Role, ...]] = (Role.TARGET,)
    metric = "accuracy"
    selection_metric = "accuracy"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        raise XstiltsError(
            f"task {self.name!r}: reading the hub copy {dataset} is not supported yet (its card is unverified); use"
            f" local data: {self.local_layout}"
        )
