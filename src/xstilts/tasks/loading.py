"""Examples and cached features for one (task, split, language): the one way phases get their data. The task reads
the examples, its kind featurizes them, and the feature cache keeps the result."""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm

from xstilts.data.examples import Example
from xstilts.data.features import FeatureCache, Features, cache_key, tokenizer_fingerprint
from xstilts.data.sources import DataSource, Split, resolve_local
from xstilts.tasks.base import Task

TOKENIZE_CHUNK = 20_000


def source_fingerprint(task: Task, source: DataSource) -> dict[str, Any]:
    """What identifies the data: hub dataset and revision, or the local files' names, sizes and times (both for a hub
    source that names a local folder too, as IGLUE's tasks read their English training data from one)."""
    if source.source == "hub":
        hub = {"hub": source.dataset or task.hub_dataset, "revision": source.revision or "main"}
        return hub | source_fingerprint(task, DataSource(source="local", path=source.path)) if source.path else hub
    root = resolve_local(source.path or ".").resolve()
    files = sorted(p for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file())
    return {
        "local": str(root),
        "files": [(str(p.relative_to(root.parent)), p.stat().st_size, p.stat().st_mtime_ns) for p in files],
    }


def load_examples(task: Task, split: Split, language: str, source: DataSource, limit: int | None) -> list[Example]:
    return task.read_sample(split, language, source, limit)


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
    """Featurizes (or loads from the cache) the given examples of one task/split/language with the task's kind; the
    key holds the kind's feature settings and version, so a change of either is never served stale features."""
    kind = task.kind
    shape = kind.settings(settings)
    parts = {
        "task": task.name,
        "kind": kind.name,
        "kind_version": kind.version,
        "split": split,
        "language": language,
        "source": source_fingerprint(task, source),
        "examples": len(examples),
        "labels": list(labels),
        "tokenizer": tokenizer_fingerprint(tokenizer),
        "training": training,
        "settings": shape.model_dump(),
    }
    if task.data_recipe is not None:  # only tasks that derive data have one: other tasks' keys stay as they were
        parts["data_recipe"] = task.data_recipe
    key = cache_key(parts)
    features = cache.get(key)
    if features is None:
        features = Features()
        chunks = range(0, len(examples), TOKENIZE_CHUNK)
        label = f"tokenize {task.name}/{split}/{language}"
        for start in tqdm(chunks, desc=label, unit="chunk", leave=False, disable=len(chunks) < 2):
            chunk = kind.featurize(examples[start : start + TOKENIZE_CHUNK], tokenizer, labels, shape, training)
            features.extend(chunk, example_offset=start)
        cache.put(key, features, {k: v for k, v in parts.items() if k != "source"})
    return features
