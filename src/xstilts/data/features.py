"""Tokenized features: a ragged, column-oriented container and its on-disk cache (safetensors + JSON).

The cache key covers everything that changes the tokens: task, language, split, the data source and its
revision (or the local files' sizes and times), the tokenizer's full definition, the featurizer settings and
``FEATURIZER_VERSION``. Bump the version whenever a featurizer's output changes.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from xstilts.artefacts import atomic_write_json

FEATURIZER_VERSION = 2


@dataclass
class Features:
    """Per-feature token sequences (``sequences``) and per-feature integers (``scalars``).

    Span extraction makes several features per example (document windows); ``scalars['example_index']``
    maps each feature to its example.
    """

    sequences: dict[str, list[list[int]]] = field(default_factory=dict)
    scalars: dict[str, list[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.sequences.get("input_ids", []))

    def lengths(self) -> np.ndarray:
        return np.fromiter((len(ids) for ids in self.sequences.get("input_ids", [])), dtype=np.int64, count=len(self))

    def extend(self, other: Features, example_offset: int) -> None:
        """Appends another chunk's features; its example indices are shifted by ``example_offset``."""
        for name, rows in other.sequences.items():
            self.sequences.setdefault(name, []).extend(rows)
        for name, values in other.scalars.items():
            shift = example_offset if name == "example_index" else 0
            self.scalars.setdefault(name, []).extend(v + shift for v in values)

    def fingerprint(self) -> str:
        """A hash of every token and integer, in order: equal features hash alike, whatever cache they came from."""
        digest = hashlib.sha256()
        for kind, columns in (("seq", self.sequences), ("scalar", self.scalars)):
            for name in sorted(columns):
                digest.update(f"{kind}.{name}".encode())
                if kind == "scalar":
                    digest.update(np.asarray(columns[name], dtype=np.int64).tobytes())
                    continue
                rows = columns[name]
                lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
                values = itertools.chain.from_iterable(rows)
                digest.update(lengths.tobytes())
                digest.update(np.fromiter(values, dtype=np.int64, count=int(lengths.sum())).tobytes())
        return digest.hexdigest()

    def save(self, path: Path) -> None:
        tensors: dict[str, np.ndarray] = {}
        for name, rows in self.sequences.items():
            tensors[f"seq.{name}.values"] = np.fromiter(
                (v for row in rows for v in row), dtype=np.int64, count=sum(len(r) for r in rows)
            )
            tensors[f"seq.{name}.lengths"] = np.asarray([len(r) for r in rows], dtype=np.int64)
        for name, values in self.scalars.items():
            tensors[f"scalar.{name}"] = np.asarray(values, dtype=np.int64)
        # A per-process temporary name: ranks of one phase, or phases running side by side, may cache the same
        # features at once, and each must rename a complete file of its own.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        save_file(tensors, str(tmp))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Features:
        tensors = load_file(str(path))
        features = cls()
        for key, array in tensors.items():
            kind, name, *rest = key.split(".")
            if kind == "scalar":
                features.scalars[name] = array.tolist()
            elif rest == ["lengths"]:
                values = tensors[f"seq.{name}.values"].tolist()
                bounds = np.concatenate([[0], np.cumsum(array)]).tolist()
                features.sequences[name] = [values[a:b] for a, b in itertools.pairwise(bounds)]
        return features


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """A hash of the tokenizer's definition (vocabulary, normalizer, pre- and post-processing).

    The truncation and padding state left by the last call (and saved by ``save_pretrained``) is not part
    of the definition, so a tokenizer reloaded from a phase artefact hashes like the original.
    """
    cached = getattr(tokenizer, "_xstilts_fingerprint", None)
    if cached is not None and cached[0] == len(tokenizer):
        return cached[1]
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        definition = {k: v for k, v in json.loads(backend.to_str()).items() if k not in {"truncation", "padding"}}
    else:
        definition = tokenizer.get_vocab()
    text = json.dumps(definition, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{type(tokenizer).__name__}|{text}".encode()).hexdigest()
    tokenizer._xstilts_fingerprint = (len(tokenizer), digest)
    return digest


def cache_key(parts: dict[str, Any]) -> str:
    payload = json.dumps({**parts, "featurizer_version": FEATURIZER_VERSION}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


class FeatureCache:
    """A directory of ``<key>.safetensors`` files, each with a ``<key>.json`` that says what it holds."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get(self, key: str) -> Features | None:
        path = self.root / f"{key}.safetensors"
        return Features.load(path) if path.exists() else None

    def put(self, key: str, features: Features, description: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        features.save(self.root / f"{key}.safetensors")
        atomic_write_json(self.root / f"{key}.json", {**description, "features": len(features)})
