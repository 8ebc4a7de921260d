"""The experiment file: parsed from YAML, validated with pydantic, resolved, and written beside the outputs.

Errors name the file, the line and the field (``experiment.yaml:7: intermediate[2]: unknown task 'mlni';
did you mean 'mnli'?``), for YAML syntax, unknown or mistyped fields, and unknown tasks or languages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from xstilts.artefacts import atomic_write_text
from xstilts.data.samplers import Sampling
from xstilts.data.sources import EMBEDDED, ENGLISH, DataSource
from xstilts.errors import ConfigError, XstiltsError
from xstilts.experiments.executor_settings import ExecutorSettings
from xstilts.experiments.methods import AdapterOptions, Method, TargetMethod, anchor_adapter_paths, method_problems
from xstilts.experiments.variants import (
    BASELINE,
    ENTRY_TAGS,
    MLM,
    IntermediateEntry,
    MixMember,
    TaskPool,
    Variant,
    as_member,
    expand,
    training_source,
)
from xstilts.kinds.dual_encoder import DUAL_ENCODER
from xstilts.kinds.retrieval import RETRIEVAL
from xstilts.kinds.span_extraction import SPAN_EXTRACTION
from xstilts.tasks.base import Role, Task
from xstilts.tasks.plugins import load_plugins
from xstilts.tasks.registry import all_tasks, closest, get_task
from xstilts.training.settings import TrainingSettings
from xstilts.training.tracking import TrackingSettings

Loc = tuple[str | int, ...]


class RetrievalOptions(BaseModel):
    """What a retrieval target's encoder is evaluated after: the intermediate phase (or the pretrained model for
    the baseline) with no target training, as XTREME does for BUCC and Tatoeba; or after fine-tuning on SQuAD
    v1.1, as XTREME-R does for Tatoeba; or after the task's dual-encoder training stage (``dual_encoder``: LAReQA's on
    SQuAD v1.1 answer sentences, Mewsli-X's on its English Wikipedia pairs), XTREME-R's recipe for those two."""

    model_config = ConfigDict(extra="forbid")

    after: Literal["intermediate", "squad_v1", "dual_encoder"] = Field(
        default="intermediate",
        description="dual_encoder: XTREME-R's recipe, the task's contrastive dual-encoder training stage first",
    )


class TaskOptions(BaseModel):
    """Per-task settings: where its data comes from, training overrides, and which languages to evaluate."""

    model_config = ConfigDict(extra="forbid")

    data: DataSource | None = Field(default=None, description="default: the task's own (the hub, or embedded data)")
    training: dict[str, Any] = Field(default_factory=dict)
    languages: list[str] | None = None
    retrieval: RetrievalOptions | None = Field(
        default=None, description="retrieval targets, and dual-encoder targets (after: intermediate: probe only)"
    )


class ExperimentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    plugins: list[str] = Field(
        default_factory=list, description="modules (or .py files beside the experiment) that register tasks or kinds"
    )
    model: str
    model_revision: str | None = None
    trust_remote_code: bool = False
    seeds: list[Annotated[int, Field(ge=0)]] = Field(default_factory=lambda: [1], min_length=1)
    intermediate: list[IntermediateEntry] = Field(default_factory=lambda: ["none"], min_length=1)
    multitask: Sampling = Field(default_factory=Sampling)
    target: list[str] = Field(min_length=1)
    training: TrainingSettings = Field(default_factory=TrainingSettings)
    tasks: dict[str, TaskOptions] = Field(default_factory=dict)
    method: Method | list[Method] = Field(
        default="full", description="how the intermediate phase trains; a list is a grid"
    )
    target_method: TargetMethod | None = Field(default=None, description="how the target phase builds on adapters")
    adapters: AdapterOptions = Field(default_factory=AdapterOptions)
    executor: ExecutorSettings = Field(default_factory=ExecutorSettings)
    # Where numbers are reported (TensorBoard, W&B, MLflow), not what is computed: never part of a phase id.
    tracking: TrackingSettings | None = None

    def variants(self) -> dict[str, tuple[str, ...]]:
        """Variant name → the member names of its intermediate phase (empty for the baseline)."""
        return {variant.name: variant.member_names for variant in self.variant_specs()}

    def variant_specs(self) -> list[Variant]:
        """Every variant with its members and dims, task pools expanded into their subsets."""
        return expand(self.intermediate, self.multitask)

    def train_languages(self, member: MixMember) -> list[str]:
        """The languages of a member's training data: its ``train_language``; for MLM, the languages in
        ``tasks: {mlm: {languages: [...]}}``; for a task with ``training_languages`` (CodeSearchNet's programming
        languages), those in ``tasks: {<task>: {languages: [...]}}`` or by default the task's; else English."""
        if member.train_language:
            return [member.train_language]
        if member.task == MLM:
            return list(self.tasks.get(MLM, TaskOptions()).languages or [])
        task = get_task(member.task)
        if task.training_languages:  # data in several (programming) languages: those listed, else the task's own
            return list(self.tasks.get(task.name, TaskOptions()).languages or task.training_languages)
        return [ENGLISH]

    def settings_for(self, task: str) -> TrainingSettings:
        """The global training settings with the task's own overrides applied."""
        overrides = self.tasks.get(task, TaskOptions()).training
        return TrainingSettings.model_validate({**self.training.model_dump(), **overrides})

    def retrieval_stages(self, task: Task) -> tuple[str, ...]:
        """The training phases a retrieval target gets before its evaluation: none, or SQuAD v1.1."""
        options = self.tasks.get(task.name, TaskOptions()).retrieval
        if options is not None and options.after == "dual_encoder" and task.dual_encoder_stage:
            return (task.dual_encoder_stage,)
        return ("squad_v1",) if options is not None and options.after == "squad_v1" else ()

    def probes(self, task: Task) -> bool:
        """A dual-encoder target evaluated without training of its own (``retrieval: {after: intermediate}``): an
        evaluation-only probe of the intermediate encoder (or of the pretrained model for the baseline)."""
        options = self.tasks.get(task.name, TaskOptions()).retrieval
        return task.kind is DUAL_ENCODER and options is not None and options.after == "intermediate"

    def source_for(self, task: str) -> DataSource:
        return self.tasks.get(task, TaskOptions()).data or get_task(task).default_source

    def languages_for(self, task: Task) -> list[str]:
        chosen = self.tasks.get(task.name, TaskOptions()).languages
        return list(chosen) if chosen else list(task.splits.get(task.eval_split, task.languages))


class _SpecProblem(Exception):
    def __init__(self, loc: Loc, message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def _check(spec: ExperimentSpec) -> None:
    """Meaning-level checks that pydantic's types cannot express."""
    tasks = all_tasks()
    names = list(tasks)

    def known(name: str, loc: Loc) -> Task:
        if name not in tasks:
            raise _SpecProblem(loc, f"unknown task {name!r}; {closest(name, names)}")
        return tasks[name]

    _check_intermediate(spec, known)
    for i, name in enumerate(spec.target):
        task = known(name, ("target", i))
        if Role.TARGET not in task.roles:
            targets = [n for n, t in tasks.items() if Role.TARGET in t.roles]
            raise _SpecProblem(("target", i), f"{name!r} is not a target task; targets: {', '.join(targets)}")
    if len(set(spec.target)) != len(spec.target):
        raise _SpecProblem(("target",), "a target task is listed twice")
    kinds = [tasks[name].kind.name for name in spec.target]
    for loc, message in method_problems(spec.method, spec.target_method, spec.adapters, kinds):
        raise _SpecProblem(loc, message)
    if len(set(spec.seeds)) != len(spec.seeds):
        raise _SpecProblem(("seeds",), "a seed is listed twice")
    for name, options in spec.tasks.items():
        task = known(name, ("tasks", name))
        if options.retrieval is not None and task.kind not in (RETRIEVAL, DUAL_ENCODER):
            raise _SpecProblem(("tasks", name, "retrieval"), f"{name!r} is not a retrieval task")
        if options.retrieval is not None and task.kind is DUAL_ENCODER and options.retrieval.after == "squad_v1":
            raise _SpecProblem(
                ("tasks", name, "retrieval", "after"), f"{name!r} is trained as a dual encoder or probed (intermediate)"
            )
        if options.retrieval is not None and options.retrieval.after == "dual_encoder" and not task.dual_encoder_stage:
            raise _SpecProblem(
                ("tasks", name, "retrieval", "after"),
                f"{name!r} has no dual-encoder training recipe (LAReQA and Mewsli-X have XTREME-R's)",
            )
        for k, language in enumerate(options.languages or []):
            if language not in task.languages:
                raise _SpecProblem(
                    ("tasks", name, "languages", k),
                    f"task {name!r} has no language {language!r}; {closest(language, task.languages)}",
                )
        try:
            spec.settings_for(name)
        except ValidationError as err:
            first = err.errors()[0]
            raise _SpecProblem(("tasks", name, "training", *first["loc"]), first["msg"]) from None
    for name in _tasks_used(spec):
        task, settings = tasks[name], spec.settings_for(name)
        if task.kind is SPAN_EXTRACTION and settings.max_length < settings.max_query_length + 8:
            overridden = "max_length" in spec.tasks.get(name, TaskOptions()).training
            loc = ("tasks", name, "training", "max_length") if overridden else ("training", "max_length")
            raise _SpecProblem(
                loc,
                f"{name} needs max_length ({settings.max_length}) to leave room for a question of up to"
                f" max_query_length ({settings.max_query_length}) tokens plus the context",
            )


def _check_intermediate(spec: ExperimentSpec, known: Callable[[str, Loc], Task]) -> None:
    """Names, languages, duplicates and sampler settings of the intermediate entries (see ``variants``)."""
    pools = [i for i, entry in enumerate(spec.intermediate) if isinstance(entry, TaskPool)]
    if len(pools) > 1:
        raise _SpecProblem(
            ("intermediate", pools[1]), "only one task pool per experiment (its subsets are named subset<size>-<index>)"
        )
    for i, entry in enumerate(spec.intermediate):
        if entry is None or (isinstance(entry, str) and entry.lower() in {"none", BASELINE}):
            continue
        # (written members, the location of the entry, the locations of its members)
        if isinstance(entry, TaskPool):
            written, where = entry.pool, ("intermediate", i, "pool")
            locs = [(*where, j) for j in range(len(written))]
        elif isinstance(entry, list):
            written, where = entry, ("intermediate", i)
            locs = [(*where, j) for j in range(len(written))]
        else:
            written, where = [entry], ("intermediate", i)
            locs = [where]
        for value, loc in zip(written, locs, strict=True):
            member = as_member(value)
            task = known(member.task, (*loc, "task") if isinstance(value, MixMember) else loc)
            _check_member(spec, member, task, loc)
        names = [as_member(value).name for value in written]
        if len(set(names)) != len(names):
            raise _SpecProblem(
                where,
                "a task appears twice in " + ("the pool" if isinstance(entry, TaskPool) else "one multi-task mix"),
            )
        if isinstance(entry, TaskPool):
            for k, size in enumerate(entry.subset_sizes):
                if size > len(entry.pool):
                    raise _SpecProblem(
                        ("intermediate", i, "subset_sizes", k),
                        f"subset size {size} is larger than the pool ({len(entry.pool)} tasks)",
                    )
            if len(set(entry.subset_sizes)) != len(entry.subset_sizes):
                raise _SpecProblem(("intermediate", i, "subset_sizes"), "a subset size is listed twice")
    seen: dict[str, int] = {}
    mixes: dict[tuple[str, ...], str] = {}
    for variant in spec.variant_specs():
        if variant.name in seen:
            raise _SpecProblem(
                ("intermediate", variant.entry),
                f"variant {variant.name!r} is listed twice (also entry {seen[variant.name]})",
            )
        if variant.member_names in mixes and variant.member_names:
            raise _SpecProblem(
                ("intermediate", variant.entry),
                f"variant {variant.name!r} trains the same mix as {mixes[variant.member_names]!r}",
            )
        seen[variant.name] = variant.entry
        mixes[variant.member_names] = variant.name
    _check_multitask(spec)


def _check_member(spec: ExperimentSpec, member: MixMember, task: Task, loc: Loc) -> None:
    """The member's training languages exist for its task (translate-train data declared by the task), and so
    does its selection language."""
    languages = spec.train_languages(member)
    field = (*loc, "train_language")
    if member.task == MLM and not member.train_language:
        if not languages:
            raise _SpecProblem(loc, "the mlm task needs its languages: tasks: {mlm: {languages: [en, de, ...]}}")
        field = ("tasks", MLM, "languages")
    for language in languages:
        try:
            training_source(task, language, all_tasks(), member.data)
        except XstiltsError as err:
            raise _SpecProblem(field, str(err)) from None
    if member.select_language:
        select = task.select_on
        have = get_task(select.task).splits.get(select.split, ())
        if member.select_language not in have:
            raise _SpecProblem(
                (*loc, "select_language"),
                f"{select.task} has no {select.split!r} data in {member.select_language!r} (it has: {', '.join(have)})",
            )


def _check_multitask(spec: ExperimentSpec) -> None:
    settings = spec.multitask
    if settings.sampler == "capped" and settings.cap is None:
        raise _SpecProblem(("multitask", "sampler"), "sampler 'capped' needs multitask.cap (p ∝ min(n, cap))")
    if settings.sampler != "weights":
        if settings.weights:
            raise _SpecProblem(("multitask", "weights"), "weights are used only with sampler: weights")
        return
    mixed = {name for variant in spec.variant_specs() if len(variant.members) > 1 for name in variant.member_names}
    for name in settings.weights:
        if name not in mixed:
            raise _SpecProblem(("multitask", "weights", name), f"{name!r} is not a member of any multi-task mix")
    missing = sorted(mixed - set(settings.weights))
    if missing:
        raise _SpecProblem(("multitask", "weights"), f"sampler 'weights' needs a weight for {', '.join(missing)}")


def _tasks_used(spec: ExperimentSpec) -> set[str]:
    """Every task whose data the experiment reads: the variants' and targets' tasks and their sources."""
    named = {m.task for variant in spec.variant_specs() for m in variant.members} | set(spec.target)
    used = set(named)
    for name in named:
        for stage in (*get_task(name).earlier_stages, name):
            task = get_task(stage)
            used |= {stage, task.train_from.task, task.select_on.task}
    return used


def _line_of(node: yaml.Node | None, loc: Loc) -> int | None:
    """The 1-based line of the deepest YAML node that ``loc`` reaches."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if getattr(k, "value", None) == key]
            if not match:
                break
            child: yaml.Node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            child = node.value[key]
        else:
            break
        node = child
        line = child.start_mark.line + 1
    return line


def _field_name(loc: Loc) -> str:
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """``training.lr=2e-5`` → data['training']['lr'] = 2e-5 (the value is read as YAML)."""
    if "=" not in assignment:
        raise ConfigError(f"--set {assignment!r}: expected KEY=VALUE, e.g. training.lr=2e-5")
    key, raw = assignment.split("=", 1)
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as err:
        raise ConfigError(f"--set {assignment!r}: value is not valid YAML ({err})") from None
    node = data
    parts = key.strip().split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"--set {assignment!r}: {part!r} is not a mapping")
        node = child
    node[parts[-1]] = value


def load_spec(path: Path, overrides: list[str] | tuple[str, ...] = ()) -> ExperimentSpec:
    if not path.is_file():
        raise ConfigError(f"experiment file {path} not found")
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        position = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{position}: invalid YAML: {getattr(err, 'problem', None) or err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings (name, model, target, ...)")
    for assignment in overrides:
        apply_override(data, assignment)

    def where(loc: Loc) -> str:
        field = _field_name(loc)
        for assignment in reversed(overrides):
            key = assignment.split("=", 1)[0].strip()
            if field == key or field.startswith((f"{key}.", f"{key}[")):
                return f"--set {assignment}"
        return f"{path}:{_line_of(root, loc)}"

    plugins = data.get("plugins") or []
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise ConfigError(f"{path}:{_line_of(root, ('plugins',))}: plugins: expected a list of module names or files")
    load_plugins(plugins, path.parent)
    try:
        spec = _anchor_paths(ExperimentSpec.model_validate(data), path.parent)
        _check(spec)
    except ValidationError as err:
        lines = []
        for problem in err.errors():
            skip = {"str", "list[str]", "none", *ENTRY_TAGS}  # union branches, not fields the user wrote
            loc = tuple(k for k in problem["loc"] if not (isinstance(k, str) and k in skip))
            lines.append(f"{where(loc)}: {_field_name(loc) or 'top level'}: {problem['msg']}")
        raise ConfigError("\n".join(lines)) from None
    except _SpecProblem as problem:
        raise ConfigError(
            f"{path}:{_line_of(root, problem.loc)}: {_field_name(problem.loc)}: {problem.message}"
        ) from None
    return spec


def _anchor_paths(spec: ExperimentSpec, base: Path) -> ExperimentSpec:
    """Relative paths in an experiment file mean relative to that file, not to where xstilts is run; a plugin module
    that lies beside the file becomes its path, so that ``xstilts run-phase`` finds it from anywhere."""
    spec.plugins = [_anchored_plugin(name, base) for name in spec.plugins]
    if spec.model.startswith((".", "~")) or (base / spec.model).exists():
        spec.model = str((base / Path(spec.model).expanduser()).resolve())
    for options in spec.tasks.values():
        data = options.data  # a hub source's path too: IGLUE's tasks read their English data from it
        if data is not None and data.path and not data.path.startswith(EMBEDDED):
            data.path = str((base / Path(data.path).expanduser()).resolve())
    anchor_adapter_paths(spec.adapters, base)
    for entry in spec.intermediate:
        written = entry.pool if isinstance(entry, TaskPool) else entry if isinstance(entry, list) else [entry]
        for member in written:
            data = member.data if isinstance(member, MixMember) else None
            if data is not None and data.source == "local" and data.path and not data.path.startswith(EMBEDDED):
                data.path = str((base / Path(data.path).expanduser()).resolve())
    return spec


def _anchored_plugin(name: str, base: Path) -> str:
    if name.endswith(".py"):
        return str((base / Path(name).expanduser()).resolve())
    beside = base / f"{name.replace('.', '/')}.py"
    return str(beside.resolve()) if beside.is_file() else name


def load_resolved_plugins(path: Path) -> None:
    """Imports the plugins a resolved experiment file (``write_resolved``) names: what a ``run-phase`` process does
    before it looks its phase's tasks up."""
    if path.is_file():
        load_plugins((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("plugins") or [], path.parent)


def write_resolved(spec: ExperimentSpec, path: Path) -> None:
    atomic_write_text(path, yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False, allow_unicode=True))
