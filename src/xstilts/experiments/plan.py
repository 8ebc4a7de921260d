"""The plan: a DAG of phases whose ids are hashes of their resolved configs and their parents' ids.

Because the id of an intermediate phase does not depend on which target follows it, one intermediate
artefact is trained once per (variant, seed) and reused by every target task.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field, fields
from typing import Any

from xstilts.data.samplers import PROPORTIONAL
from xstilts.data.sources import ENGLISH
from xstilts.experiments.methods import FULL, adapter_recipe, as_methods, recipe_identity
from xstilts.experiments.spec import ExperimentSpec
from xstilts.experiments.variants import (
    MLM,
    SELECT_LANGUAGE,
    SOURCE_DATA,
    MixMember,
    arm_variant,
    as_member,
    training_source,
)
from xstilts.kinds.retrieval import RETRIEVAL
from xstilts.models.encoder import model_fingerprint
from xstilts.phase_config import (
    AdapterRecipe,
    EvalPhaseConfig,
    HeadConfig,
    ModelRef,
    PhaseConfig,
    SelectData,
    TrainData,
    TrainPhaseConfig,
    parse_phase_config,
)
from xstilts.tasks.base import Task
from xstilts.tasks.registry import all_tasks, get_task

# Dims that record where a variant's training and selection data come from (``_provenance_dims``).
PROVENANCE_DIMS = (SOURCE_DATA, SELECT_LANGUAGE)


@dataclass
class Phase:
    id: str
    kind: str  # "train" or "evaluate"
    role: str  # "intermediate", "target" or "evaluate"
    variant: str
    seed: int
    tasks: tuple[str, ...]
    parent: str | None
    config: PhaseConfig
    children: list[str] = field(default_factory=list)
    # What analysis groups results by (sampler, subset_size, subset_index, source_language, method, ...): facts
    # about the variant, recorded in phase.json and the store; not part of the id (the config already is).
    dims: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        # e.g. the method's arm; not the data's provenance, which the variant's name already implies
        dims = "".join(f", {key}={value}" for key, value in sorted(self.dims.items()) if key not in PROVENANCE_DIMS)
        return f"{self.role} {'+'.join(self.tasks)} [{self.variant}, seed {self.seed}{dims}]"

    def to_json(self) -> dict[str, Any]:
        """The phase as ``plan.json`` holds it, its config as its JSON dump."""
        record = {f.name: getattr(self, f.name) for f in fields(self)}
        return record | {"tasks": list(self.tasks), "config": self.config.dump(), "children": list(self.children)}

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Phase:
        """A phase of ``plan.json``."""
        return cls(**{**record, "tasks": tuple(record["tasks"]), "config": parse_phase_config(record["config"])})


# Settings that change how a phase is run but not what it computes (compiling changes numerical noise only).
_BOOKKEEPING = ("checkpoint_every", "compile")


def phase_id(config: PhaseConfig | dict[str, Any]) -> str:
    """A hash of what the phase computes: its config's JSON dump with the model named by its fingerprint (not its
    path) and without bookkeeping settings (so changing the checkpoint interval resumes rather than restarts)."""
    identity = dict(config) if isinstance(config, dict) else config.dump()
    if identity.get("model"):
        identity["model"] = {k: v for k, v in identity["model"].items() if k != "name"}
    if "optimizer" in identity:
        identity["optimizer"] = {k: v for k, v in identity["optimizer"].items() if k not in _BOOKKEEPING}
    if identity.get("adapters"):
        identity["adapters"] = recipe_identity(identity["adapters"])
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def _head_config(spec: ExperimentSpec, member: MixMember) -> HeadConfig:
    """A head's task, data and selection set; its training and selection languages are English unless the
    member names others (translate-train, MLM, ``select_language``)."""
    task = get_task(member.task)
    languages = spec.train_languages(member)
    train = training_source(task, languages[0], all_tasks(), member.data) if languages else task.train_from
    select = task.select_on
    return HeadConfig(
        task=task.name,
        kind=task.kind.name,
        labels=list(task.label_set(spec.source_for(task.name))),
        train=TrainData(
            task=train.task, split=train.split, source=member.data or spec.source_for(train.task), languages=languages
        ),
        # no dev set (MLM): the phase selects on its other heads
        select=SelectData(
            task=select.task,
            split=select.split,
            source=spec.source_for(select.task),
            # a task trained on several (programming) languages selects on the first one's dev data
            language=member.select_language or (languages[0] if task.training_languages else ENGLISH),
        )
        if task.selection_metric
        else None,
        data=spec.settings_for(task.name).data_part(task.kind.name),
    )


def _provenance_dims(spec: ExperimentSpec, members: tuple[MixMember, ...]) -> dict[str, str]:
    """Whether the members' training data are human-written or machine-translated (``source_data``: ``human``,
    ``translated`` or ``human+translated``) and their dev languages for model selection (``select_language``),
    recorded once any member trains or selects outside English (English variants keep the dims they had)."""
    trained = [m for m in members if m.task != MLM]
    abroad = [m for m in trained if spec.train_languages(m) != [ENGLISH] or (m.select_language or ENGLISH) != ENGLISH]
    if not abroad:
        return {}
    origins = set()
    for member in trained:
        task = get_task(member.task)
        for language in spec.train_languages(member):
            train = training_source(task, language, all_tasks(), member.data)
            origins.add(get_task(train.task).train_origin(language, member.data or spec.source_for(train.task)))
    dims = {SOURCE_DATA: "+".join(sorted(origins))}
    selected = sorted({m.select_language or ENGLISH for m in trained})
    if selected != [ENGLISH]:
        dims[SELECT_LANGUAGE] = "+".join(selected)
    return dims


def _train_config(
    spec: ExperimentSpec,
    tasks: tuple[str | MixMember, ...],
    seed: int,
    parent: str | None,
    model: str,
    adapters: AdapterRecipe | None = None,
) -> TrainPhaseConfig:
    # A single task's overrides apply to its optimizer too; a mix uses the experiment-wide optimizer settings.
    members = [as_member(task) for task in tasks]
    optimizer = (spec.settings_for(members[0].task) if len(members) == 1 else spec.training).optimizer_part()
    # Only mixes name their sampler, and only when it is not the default (proportional, per-task batches, what
    # every mix did before samplers existed), so phase ids stay what they were wherever the computation is.
    used = spec.multitask.for_mix([m.name for m in members])
    return TrainPhaseConfig(
        parent=parent,
        model=None if parent else _model_ref(spec, model),
        trust_remote_code=spec.trust_remote_code,
        seed=seed,
        optimizer=optimizer,
        heads={member.name: _head_config(spec, member) for member in members},
        adapters=adapters,  # only adapter phases name their recipe: full fine-tuning keeps the ids it always had
        multitask=used if len(members) > 1 and used != PROPORTIONAL.for_mix([]) else None,
    )


def _eval_config(spec: ExperimentSpec, task: Task, parent: str | None, model: str) -> EvalPhaseConfig:
    return EvalPhaseConfig(
        parent=parent,
        # Without a parent (a retrieval target of the baseline) the phase evaluates the pretrained model itself.
        model=None if parent else _model_ref(spec, model),
        task=task.name,
        split=task.eval_split,
        languages=sorted(spec.languages_for(task)),
        source=spec.source_for(task.name),
        data=spec.settings_for(task.name).data_part(task.kind.name),
        trust_remote_code=spec.trust_remote_code,
    )


def _model_ref(spec: ExperimentSpec, fingerprint: str) -> ModelRef:
    return ModelRef(name=spec.model, revision=spec.model_revision, fingerprint=fingerprint)


def _target_stages(spec: ExperimentSpec, task: Task) -> tuple[str, ...]:
    """The target's English training phases, in order. A retrieval target has none unless it asks for SQuAD v1.1
    (``RetrievalOptions``): its evaluation reads the intermediate artefact, or the pretrained model."""
    if task.kind is RETRIEVAL:
        return spec.retrieval_stages(task)
    if spec.probes(task):  # a dual-encoder target probing the intermediate encoder: no training of its own
        return ()
    return (*task.earlier_stages, task.name)


def build_plan(spec: ExperimentSpec) -> list[Phase]:
    """Phases in an order where every parent comes before its children."""
    phases: dict[str, Phase] = {}
    model = model_fingerprint(spec.model, spec.model_revision)

    def add(phase: Phase) -> Phase:
        if phase.id not in phases:
            phases[phase.id] = phase
            if phase.parent is not None:
                phases[phase.parent].children.append(phase.id)
        return phases[phase.id]

    methods = as_methods(spec.method)
    for seed, method, spec_variant in itertools.product(spec.seeds, methods, spec.variant_specs()):
        variant, mix = spec_variant.name, spec_variant.member_names
        if len(methods) > 1:
            variant = arm_variant(variant, method)
        dims = spec_variant.dims | _provenance_dims(spec, spec_variant.members)
        dims |= {} if methods == [FULL] else {"method": method}
        parent = None
        if mix:
            recipe = adapter_recipe(method, "intermediate", None, spec.adapters)
            config = _train_config(spec, spec_variant.members, seed, None, model, recipe)
            phase = Phase(phase_id(config), "train", "intermediate", variant, seed, mix, None, config, dims=dims)
            parent = add(phase).id
        for target in spec.target:
            recipe = adapter_recipe(method, "target", spec.target_method, spec.adapters)
            trained = parent
            # A target's English training may be a chain of stages (XCOPA: Social IQa, then COPA), one phase each.
            for stage in _target_stages(spec, get_task(target)):
                config = _train_config(spec, (stage,), seed, trained, model, recipe)
                phase = Phase(phase_id(config), "train", "target", variant, seed, (stage,), trained, config, dims=dims)
                trained = add(phase).id
            config = _eval_config(spec, get_task(target), trained, model)
            add(Phase(phase_id(config), "evaluate", "evaluate", variant, seed, (target,), trained, config, dims=dims))
    return list(phases.values())
