"""What IGLUE's classification tasks share: zero-shot targets scored by accuracy, English training and selection,
local data in IGLUE's layouts.

The hub copies that embed images (``data.iglue_hub``) hold only the zero-shot test sets, so a hub source may name a
local folder for the rest: ``data: {source: hub, path: DIR}`` reads the test sets from the hub and the English
training and dev data from ``DIR`` in the task's local layout.
"""

from __future__ import annotations

from typing import ClassVar

from xstilts.data.examples import Example
from xstilts.data.iglue_hub import no_hub_training
from xstilts.data.sources import DataSource, Split
from xstilts.errors import XstiltsError
from xstilts.tasks.base import Role, Task


class IGLUETask(Task):
    roles: ClassVar[tuple[Role, ...]] = (Role.TARGET,)
    metric = "accuracy"
    selection_metric = "accuracy"

    def read(self, split: Split, language: str, source: DataSource) -> list[Example]:
        if source.source == "hub" and split != "test" and source.path:
            return super().read(split, language, DataSource(source="local", path=source.path))
        return super().read(split, language, source)

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        if not dataset:
            raise XstiltsError(f"task {self.name!r}: no hub copy is known; use local data: {self.local_layout}")
        if split != "test":
            raise no_hub_training(self.name, dataset, split, self.local_layout)
        return self.read_hub_test(dataset, revision, language)

    def read_hub_test(self, dataset: str, revision: str | None, language: str) -> list[Example]:
        """The test set of ``language`` from the task's hub copy (``hub_dataset``), for the tasks that have one."""
        layout = self.local_layout
        raise XstiltsError(f"task {self.name!r}: no reader for the hub copy {dataset}; use local data: {layout}")
