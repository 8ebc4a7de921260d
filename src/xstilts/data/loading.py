"""Examples and cached features for one (task, split, language): the one way phases get their data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tqdm.auto import tqdm

from xstilts.data.examples import Example
from xstilts.data.features import FeatureCache, Features, cache_key, tokenizer_fingerprint
from xstilts.data.featurize import featurize_classification, featurize_spans
from xstilts.data.featurize_choice import featurize_multiple_choice
from xstilts.data.featurize_tagging import featurize_tagging
from xstilts.data.sources import DataSource, Split, resolve_local
from xstilts.data.text import featurize_masked_lm
from xstilts.tasks.base import Task, TaskKind

TOKENIZE_CHUNK = 20_000

# kind -> (featurizer(examples, tokenizer, labels, settings, training), the settings that shape its features)
Featurizer = Callable[[Sequence[Any], Any, Sequence[str], dict[str, Any], bool], Features]
FEATURIZERS: dict[str, tuple[Featurizer, tuple[str, ...]]] = {
    TaskKind.CLASSIFICATION.value: (
        lambda examples, tokenizer, labels, settings, training: featurize_classification(
            examples, tokenizer, labels, settings["max_length"]
        ),
        ("max_length",),
    ),
    TaskKind.SPAN_EXTRACTION.value: (
        lambda examples, tokenizer, labels, settings, training: featurize_spans(
            examples,
            tokenizer,
            settings["max_length"],
            settings["doc_stride"],
            settings["max_query_length"],
            training,
        ),
        ("max_length", "doc_stride", "max_query_length"),
    ),
    TaskKind.MULTIPLE_CHOICE.value: (
        lambda examples, tokenizer, labels, settings, training: featurize_multiple_choice(
            examples, tokenizer, labels, settings["max_length"]
        ),
        ("max_length",),
    ),
    TaskKind.MASKED_LM.value: (
        lambda examples, tokenizer, labels, settings, training: featurize_masked_lm(
            examples, tokenizer, settings["max_length"]
        ),
        ("max_length",),
    ),
    TaskKind.TOKEN_TAGGING.value: (
        lambda examples, tokenizer, labels, settings, training: featurize_tagging(
            examples, tokenizer, labels, settings["max_length"], training
        ),
        ("max_length",),
    ),
}


def source_fingerprint(task: Task, source: DataSource) -> dict[str, Any]:
    """What identifies the data: hub dataset and revision, or the local files' names, sizes and times."""
    if source.source == "hub":
        return {"hub": source.dataset or task.hub_dataset, "revision": source.revision or "main"}
    root = resolve_local(source.path or ".").resolve()
    files = sorted(p for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file())
    return {
        "local": str(root),
        "files": [(str(p.relative_to(root.parent)), p.stat().st_size, p.stat().st_mtime_ns) for p in files],
    }


def load_examples(task: Task, split: Split, language: str, source: DataSource, limit: int | None) -> list[Example]:
    examples = task.read(split, language, source)
    return examples[:limit] if limit else examples


def load_features(
    task: Task,
    split: Split,
    language: str,
    source: DataSource,
    examples: list[Example],
    labels: tuple[str, ...] | list[str],
    tokenizer: Any,
    settings: dict[str, Any],
    training: bool,
    cache: FeatureCache,
) -> Features:
    """Featurizes (or loads from the cache) the given examples of one task/split/language."""
    featurize, shaping = FEATURIZERS[task.kind.value]
    shape = {k: settings[k] for k in shaping}
    parts = {
        "task": task.name,
        "kind": task.kind.value,
        "split": split,
        "language": language,
        "source": source_fingerprint(task, source),
        "examples": len(examples),
        "labels": list(labels),
        "tokenizer": tokenizer_fingerprint(tokenizer),
        "training": training,
        **shape,
    }
    key = cache_key(parts)
    features = cache.get(key)
    if features is None:
        features = Features()
        chunks = range(0, len(examples), TOKENIZE_CHUNK)
        label = f"tokenize {task.name}/{split}/{language}"
        for start in tqdm(chunks, desc=label, unit="chunk", leave=False, disable=len(chunks) < 2):
            chunk = featurize(examples[start : start + TOKENIZE_CHUNK], tokenizer, labels, settings, training)
            features.extend(chunk, example_offset=start)
        cache.put(key, features, {k: v for k, v in parts.items() if k != "source"})
    return features
