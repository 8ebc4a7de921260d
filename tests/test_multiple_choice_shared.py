"""The multiple-choice readers on the real files in ../shared/data: counts as their SOURCE.md states them."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import SHARED_DATA
from xstilts.data.sources import DataSource
from xstilts.tasks.registry import get_task

pytestmark = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared benchmark data not present")


def _read(task: str, folder: str, split: str) -> list:
    root = SHARED_DATA / folder
    if not root.is_dir():
        pytest.skip(f"{root} not present")
    return get_task(task).read(split, "en", DataSource(source="local", path=str(root)))


def test_siqa_v14_dev() -> None:
    examples = _read("siqa", "siqa", "dev")
    assert len(examples) == 1954
    assert set(Counter(e.label for e in examples)) == {"0", "1", "2"}
    assert all(len(e.choices) == 3 and e.context.endswith("?") for e in examples[:50])
    assert examples[0].choices == ("make a new plan", "Go home and see Riley", "Find somewhere to go")
    assert examples[0].label == "2"  # "correct": "C"


def test_copa_en_train_and_val() -> None:
    train, dev = _read("copa", "copa_en", "train"), _read("copa", "copa_en", "dev")
    assert (len(train), len(dev)) == (400, 100)
    assert train[0].context == "My body cast a shadow over the grass. What was the cause?"
    assert train[0].choices == ("The sun was rising.", "The grass was cut.") and train[0].label == "0"
    assert {e.context.rsplit(" ", 1)[1] for e in train + dev} == {"cause?", "effect?"}


def test_cosmosqa_valid() -> None:
    examples = _read("cosmosqa", "cosmosqa", "dev")
    assert len(examples) == 2985
    assert set(Counter(e.label for e in examples)) == {"0", "1", "2", "3"}
    assert all(len(e.choices) == 4 for e in examples)
    assert examples[0].choices[3] == "None of the above choices ." and examples[0].label == "1"
