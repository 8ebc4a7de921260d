"""The feature cache is keyed by the settings that shape the features: after a change of ``max_length`` (or, for
span extraction, ``doc_stride``) ``load_features`` serves what a fresh featurization gives, never the features
cached under the old setting; the same settings again are a cache hit.

Through the public ``load_features`` only: each result is compared with the same call on an empty cache.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.builders import local
from xstilts.data.features import FeatureCache, Features
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.loading import load_examples, load_features
from xstilts.tasks.registry import get_task
from xstilts.training.settings import TrainingSettings


class CountingCache(FeatureCache):
    """A feature cache that counts what it stores: a lookup that featurizes again stores again."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.stored = 0

    def put(self, key: str, features: Features, description: dict[str, Any]) -> None:
        self.stored += 1
        super().put(key, features, description)


@pytest.fixture(scope="module")
def tokenizer(tiny_model: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


@pytest.mark.parametrize(
    ("task_name", "first", "second"),
    [
        # pairs of 3..8 and 2..5 words plus 4 special tokens: 8 tokens cut every pair, 48 none
        ("xnli", {"max_length": 48}, {"max_length": 8}),
        # contexts of up to ~60 words in 32-token windows: a stride of 8 makes more windows than one of 16
        ("xquad", {"max_length": 32, "doc_stride": 16}, {"max_length": 32, "doc_stride": 8}),
        ("xquad", {"max_length": 32, "doc_stride": 16}, {"max_length": 48, "doc_stride": 16}),
    ],
    ids=["classification_max_length", "spans_doc_stride", "spans_max_length"],
)
def test_changed_shaping_setting_is_a_cache_miss_and_same_setting_a_hit(
    task_name: str,
    first: dict[str, int],
    second: dict[str, int],
    tokenizer: Any,
    data_root: Path,
    tmp_path: Path,
) -> None:
    task, source = get_task(task_name), local(data_root / task_name)
    examples = load_examples(task, "test", "en", source, None)
    labels = list(task.labels) if task.kind is CLASSIFICATION else []
    cache = CountingCache(tmp_path / "shared")
    fresh_caches = iter(FeatureCache(tmp_path / f"fresh-{i}") for i in range(3))

    def features(settings: dict[str, int], in_cache: FeatureCache) -> Features:
        data = TrainingSettings(max_query_length=16, **settings).data_part(task.kind.name)
        return load_features(task, "test", "en", source, examples, labels, tokenizer, data, False, in_cache)

    before = features(first, cache)
    assert before == features(first, next(fresh_caches)) and cache.stored == 1
    after = features(second, cache)
    assert after != before  # the setting does shape the features ...
    assert after == features(second, next(fresh_caches))  # ... and the cache serves the new ones
    assert cache.stored == 2
    assert features(first, cache) == before and features(second, cache) == after
    assert cache.stored == 2  # the same settings again: both hits, nothing featurized again
