"""``xstilts data check``: load every (task, split, language) an experiment's plan reads, from the sources it names,
and compare the number of examples with the official release's (``xstilts.data.official_counts``), so a wrong
file, a partial download or a hub copy that lost rows is seen before anything trains."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from xstilts.data.examples import Example, ImageTextSet, RetrievalExample
from xstilts.data.official_counts import official_count
from xstilts.data.sources import DataSource
from xstilts.errors import XstiltsError
from xstilts.experiments.plan import build_plan
from xstilts.experiments.run import data_requirements
from xstilts.experiments.spec import ExperimentSpec
from xstilts.hub import recording_hub_reads
from xstilts.tasks.registry import get_task


@dataclass(frozen=True)
class SplitCheck:
    task: str
    split: str
    language: str
    source: str  # where it was read from, in words
    count: int | None  # None: it did not load
    official: int | None  # None: no official count recorded
    notes: tuple[str, ...] = ()  # warnings while reading (realigned answers, the parquet export), or the error

    @property
    def status(self) -> str:
        if self.count is None:
            return "error"
        if self.official is None:
            return "no official count"
        return "match" if self.count == self.official else "differs"

    @property
    def difference(self) -> int | None:
        return None if self.count is None or self.official is None else self.count - self.official


def example_count(examples: list[Example]) -> int:
    """Questions, pairs or sentences; for a retrieval set (one example per language), its queries; for an image-text
    set, its captions."""
    return sum(_items(e) for e in examples)


def _items(example: Example) -> int:
    if isinstance(example, RetrievalExample):
        return len(example.queries)
    return len(example.captions) if isinstance(example, ImageTextSet) else 1


def describe_source(task: str, source: DataSource) -> str:
    if source.source == "local":
        return f"local {source.path}"
    return f"hub {source.dataset or get_task(task).hub_dataset}" + (f"@{source.revision}" if source.revision else "")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _warnings_collected() -> Iterator[list[str]]:
    """What the readers warn about while one split loads (xstilts.* loggers), kept for the table."""
    handler, logger = _Collect(), logging.getLogger("xstilts")
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def check_split(task: str, split: str, language: str, source: DataSource) -> SplitCheck:
    where = describe_source(task, source)
    official = official_count(task, split, language)
    if get_task(task).kind.name == "masked_lm":  # a text corpus: no official size, and Wikipedia is not read whole
        return SplitCheck(task, split, language, where, 0, None, ("a text corpus: not read",))
    with _warnings_collected() as notes, recording_hub_reads() as reads:
        try:
            examples = get_task(task).read(split, language, source)  # type: ignore[arg-type]
        except XstiltsError as err:
            return SplitCheck(task, split, language, where, None, official, (*notes, str(err)))
    fallback = tuple(f"read {read.revision_read}" for read in reads)
    return SplitCheck(task, split, language, where, example_count(examples), official, (*fallback, *notes))


def check_experiment_data(spec: ExperimentSpec) -> list[SplitCheck]:
    """Every split the experiment's plan reads, loaded in full (not limited by ``max_*_examples``)."""
    checks = []
    for task, split, language, source in sorted(data_requirements(build_plan(spec))):
        checks.append(check_split(task, split, language, DataSource.model_validate_json(source)))
    return checks
