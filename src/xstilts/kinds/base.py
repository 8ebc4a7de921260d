"""What a task kind is: one registered unit that turns a kind's examples into features, features into a head's
outputs, and outputs into predictions and their submission file.

A kind declares its example type, its feature settings (a pydantic model whose dump, with the kind's ``version``,
keys the feature cache), its featurizer (which also declares the feature columns, so ``collate`` pads generically),
its head (which owns its encoder call), its decoder and its prediction-file writer. Tasks name their kind; the
phases look everything else up here, so adding a kind adds a module and touches nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict

from xstilts.data.features import PAD_TOKEN, Column, Features
from xstilts.models.heads import HEAD_TYPES, Head

# The encoder's token inputs, as every text kind's featurizer writes them (segment ids only where the model has them).
ENCODER_COLUMNS = {"input_ids": Column("input", PAD_TOKEN), "token_type_ids": Column("input", 0)}


class KindSettings(BaseModel):
    """The data settings that change a kind's features; every kind has a token budget."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    max_length: int


class Kind:
    """Base class of the kinds; a kind module subclasses it, sets the class attributes and registers one instance."""

    name: ClassVar[str]
    # Bump when the featurizer's output changes for the same settings: old cache entries are then not served.
    version: ClassVar[int] = 1
    example_type: ClassVar[type]
    settings_type: ClassVar[type[KindSettings]] = KindSettings
    head_type: ClassVar[type[Head]]
    prediction_extension: ClassVar[str] = "tsv"
    # Data settings that only this kind's tasks have (so that they enter only their phase ids).
    own_data_fields: ClassVar[tuple[str, ...]] = ()

    def settings(self, data: dict[str, Any]) -> KindSettings:
        """The feature settings picked from a task's data settings."""
        return self.settings_type.model_validate({name: data[name] for name in self.settings_type.model_fields})

    def featurize(
        self, examples: Sequence[Any], tokenizer: Any, labels: Sequence[str], settings: Any, training: bool
    ) -> Features:
        raise NotImplementedError(f"kind {self.name!r} has no featurizer")

    def decode(
        self,
        examples: Sequence[Any],
        features: Features,
        outputs: list[np.ndarray],
        labels: Sequence[str],
        data: dict[str, Any],
    ) -> dict[str, Any]:
        """Predictions by example guid from the head's per-feature outputs; ``data`` holds the task's data settings
        and its decoding facts (``null_score_threshold``)."""
        raise NotImplementedError(f"kind {self.name!r} has no decoder")

    def render(self, examples: Sequence[Any], predictions: dict[str, Any]) -> str:
        """The text of the prediction file, XTREME's submission layout ``<task>/<split>-<lang>.<extension>``."""
        raise NotImplementedError(f"kind {self.name!r} writes no prediction file")


def uses_token_types(tokenizer: Any) -> bool:
    """Segment ids only for models that take them (BERT does; XLM-R's tokenizer does not emit them)."""
    return "token_type_ids" in tokenizer.model_input_names


def argmax_labels(examples: Sequence[Any], outputs: list[np.ndarray], labels: Sequence[str]) -> dict[str, str]:
    """Each example's highest-scoring label (a class, or a choice position)."""
    return {e.guid: labels[int(np.argmax(row))] for e, row in zip(examples, outputs, strict=True)}


_KINDS: dict[str, Kind] = {}
K = TypeVar("K", bound=Kind)


def register_kind(kind: K) -> K:
    """Adds a kind (and its head) to the registry; a second kind of the same name is an error."""
    if kind.name in _KINDS and type(_KINDS[kind.name]) is not type(kind):
        raise ValueError(f"kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    HEAD_TYPES[kind.name] = kind.head_type
    return kind


def get_kind(name: str) -> Kind:
    try:
        return _KINDS[name]
    except KeyError:
        raise KeyError(f"unknown task kind {name!r} (known: {', '.join(sorted(_KINDS))})") from None


def all_kinds() -> dict[str, Kind]:
    return dict(_KINDS)
