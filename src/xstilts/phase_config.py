"""Phase configs: what a phase computes, as frozen models (``experiments.plan`` builds them, the phases read them).

A config's JSON dump (:meth:`dump`) is what ``plan.json`` and ``phase.json`` hold and what a phase id hashes
(``experiments.plan.phase_id``). A setting added after the first release is left out of the dump while it holds
its default (each model's ``_omitted_at_default``), so phases that do not use it keep the ids they always had:
a head trains and selects on English unless it names other languages, a mix names its sampler and a phase its
adapter recipe only when it has one, and an evaluation names the pretrained model only when it has no parent.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, TypeAdapter, model_serializer

from xstilts.data.samplers import Sampling
from xstilts.data.sources import ENGLISH, DataSource, Split


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Fields written into the dump only when they differ from their default.
    _omitted_at_default: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _omit_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        fields = type(self).model_fields
        for name in self._omitted_at_default:
            if getattr(self, name) == fields[name].get_default(call_default_factory=True):
                data.pop(name, None)
        return data

    def dump(self) -> dict[str, Any]:
        """The JSON form: what the files hold and the phase id hashes."""
        return self.model_dump(mode="json")


class ModelRef(_Config):
    """A pretrained model: hub id or local path (not part of phase ids), revision, and what identifies its weights."""

    name: str
    revision: str | None
    fingerprint: str


class DataRef(_Config):
    """A task's split from a data source."""

    task: str
    split: Split
    source: DataSource


class TrainData(DataRef):
    """Where a head's training data comes from, in which languages (translate-train data, MLM text)."""

    _omitted_at_default: ClassVar[frozenset[str]] = frozenset({"languages"})

    languages: list[str] = Field(default_factory=lambda: [ENGLISH])


class SelectData(DataRef):
    """The dev set a head's model selection scores, in one language."""

    _omitted_at_default: ClassVar[frozenset[str]] = frozenset({"language"})

    language: str = ENGLISH


class HeadConfig(_Config):
    """One head of a training phase: its task, kind, output classes, data, selection set and data settings."""

    _omitted_at_default: ClassVar[frozenset[str]] = frozenset({"select"})

    task: str
    kind: str
    labels: list[str]
    train: TrainData
    select: SelectData | None = None  # no dev set (MLM): the phase selects on its other heads
    data: dict[str, Any]  # the task's data settings (``TrainingSettings.data_part``)


class LanguageAdapterRef(_Config):
    """A MAD-X language adapter: a directory or hub id, and what identifies its weights."""

    name: str
    hub: bool
    fingerprint: str


class AdapterRecipe(_Config):
    """What a phase of an adapter arm trains (``experiments.methods.adapter_recipe``)."""

    _omitted_at_default: ClassVar[frozenset[str]] = frozenset(
        {"target_method", "adapter", "fusion", "source_language", "languages"}
    )

    method: str
    stage: Literal["intermediate", "target"]
    target_method: str | None = None
    adapter: dict[str, Any] | None = None  # the method's adapter options
    fusion: dict[str, Any] | None = None  # the fusion layer's options (target phase of ``fusion``)
    source_language: str | None = None  # MAD-X
    languages: dict[str, LanguageAdapterRef] | None = None  # MAD-X: the language adapters, by language


class _PhaseConfig(_Config):
    parent: str | None
    model: ModelRef | None
    trust_remote_code: bool

    @property
    def pretrained(self) -> ModelRef:
        """The pretrained model a phase without a parent starts from."""
        if self.model is None:
            raise ValueError(f"a phase with a parent ({self.parent}) names no pretrained model")
        return self.model


class TrainPhaseConfig(_PhaseConfig):
    """A training phase: fresh heads on the pretrained encoder or the parent's, trained together."""

    _omitted_at_default: ClassVar[frozenset[str]] = frozenset({"adapters", "multitask"})

    kind: Literal["train"] = "train"
    model: ModelRef | None  # always written: null with a parent
    seed: int
    optimizer: dict[str, Any]  # ``TrainingSettings.optimizer_part``
    heads: dict[str, HeadConfig]  # by head name (``mnli``, ``xnli@de``), in the mix's order
    adapters: AdapterRecipe | None = None
    multitask: dict[str, Any] | None = None  # a mix's sampler, when not the default (``Sampling.for_mix``)

    @property
    def sampling(self) -> Sampling:
        return Sampling(**(self.multitask or {}))


class EvalPhaseConfig(_PhaseConfig):
    """An evaluation phase: the parent's model (or, without a parent, the pretrained one) on every language."""

    _omitted_at_default: ClassVar[frozenset[str]] = frozenset({"model"})

    kind: Literal["evaluate"] = "evaluate"
    model: ModelRef | None = None  # only without a parent (a retrieval target of the baseline)
    task: str
    split: Split
    languages: list[str]
    source: DataSource
    data: dict[str, Any]


PhaseConfig = Annotated[TrainPhaseConfig | EvalPhaseConfig, Field(discriminator="kind")]
_PHASE_CONFIG: TypeAdapter[TrainPhaseConfig | EvalPhaseConfig] = TypeAdapter(PhaseConfig)


def parse_phase_config(data: Any) -> TrainPhaseConfig | EvalPhaseConfig:
    """A config from its JSON form (``plan.json``, ``phase.json``)."""
    return _PHASE_CONFIG.validate_python(data)
