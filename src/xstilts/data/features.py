"""Tokenized features: a ragged, column-oriented container and its on-disk cache (safetensors + JSON).

The cache key covers everything that changes the tokens: task, language, split, the data source and its
revision (or the local files' sizes and times), the tokenizer's full definition, and the kind's feature settings
and version (``kinds``). Each column says how it is batched (:class:`Column`), so batching knows no field names.
Besides ragged integer rows, features may hold fixed-shape arrays of any dtype (``Features.arrays``: image
pixels as uint8, region features as float32), one block per column with the rows on the first axis.
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
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

from xstilts.artefacts import atomic_write_json

IGNORE_INDEX = -100  # the target of positions that are not predicted (PyTorch's cross-entropy default)
PAD_TOKEN = "pad_token"  # a column padded with the tokenizer's pad id


@dataclass(frozen=True)
class Column:
    """How ``collate`` batches one column of features.

    ``role``: ``input`` goes to the encoder on every batch; ``target`` only to training batches; ``pieces`` says
    how a row's inputs split into several encoder rows (the lengths of back-to-back encodings: a multiple-choice
    row holds N pairs); ``meta`` is bookkeeping for decoding and never batched. ``pad``: the value a token
    sequence is padded with (``PAD_TOKEN``: the tokenizer's pad id); scalars and fixed-shape arrays (whose dtype is
    the array's own: uint8 pixels, float32 region features) are not padded.
    """

    role: str
    pad: int | str = 0


@dataclass
class Features:
    """Per-feature token sequences (``sequences``), per-feature integers (``scalars``), per-feature fixed-shape
    arrays (``arrays``: one ``(rows, ...)`` block per column, its dtype its own), and how each column is batched
    (``columns``, by name; a column without an entry is ``meta``).

    Span extraction makes several features per example (document windows); ``scalars['example_index']``
    maps each feature to its example.
    """

    sequences: dict[str, list[list[int]]] = field(default_factory=dict)
    scalars: dict[str, list[int]] = field(default_factory=dict)
    columns: dict[str, Column] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)

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
        for name, block in other.arrays.items():
            mine = self.arrays.get(name)
            self.arrays[name] = block if mine is None else np.concatenate([mine, block])
        self.columns.update(other.columns)

    def column(self, name: str) -> Column:
        return self.columns.get(name, Column("meta"))

    def fingerprint(self) -> str:
        """A hash of every token and integer, in order: equal features hash alike, whatever cache they came from."""
        digest = hashlib.sha256()
        for name in sorted(self.sequences):
            digest.update(f"seq.{name}".encode())
            rows = self.sequences[name]
            lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
            digest.update(lengths.tobytes())
            values = itertools.chain.from_iterable(rows)
            digest.update(np.fromiter(values, dtype=np.int64, count=int(lengths.sum())).tobytes())
        for name in sorted(self.scalars):
            digest.update(f"scalar.{name}".encode())
            digest.update(np.asarray(self.scalars[name], dtype=np.int64).tobytes())
        for name in sorted(self.arrays):
            block = np.ascontiguousarray(self.arrays[name])
            digest.update(f"array.{name}.{block.dtype.str}.{block.shape}".encode())
            digest.update(block.tobytes())
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
        for name, block in self.arrays.items():
            tensors[f"array.{name}"] = np.ascontiguousarray(block)
        # A per-process temporary name: ranks of one phase, or phases running side by side, may cache the same
        # features at once, and each must rename a complete file of its own.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        columns = {name: [column.role, column.pad] for name, column in self.columns.items()}
        save_file(tensors, str(tmp), metadata={"columns": json.dumps(columns, sort_keys=True)})
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> Features:
        tensors = load_file(str(path))
        with safe_open(str(path), framework="numpy") as handle:
            metadata = handle.metadata() or {}
        columns = json.loads(metadata.get("columns", "{}"))
        features = cls(columns={name: Column(role, pad) for name, (role, pad) in columns.items()})
        for key, array in tensors.items():
            kind, name, *rest = key.split(".")
            if kind == "scalar":
                features.scalars[name] = array.tolist()
            elif kind == "array":
                features.arrays[name] = array
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
    payload = json.dumps(parts, sort_keys=True, default=str)
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
