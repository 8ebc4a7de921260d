"""Intermediate variants as written in the experiment file, and their expansion into named variants.

An ``intermediate`` entry is one of:

- a task name (``mnli``) or ``none`` (the baseline);
- a mix, ``[mnli, squad_v1]``: one multi-task phase (members may be names or member mappings);
- a member mapping, ``{task: xnli, train_language: de, select_language: de, data: {...}}``: the task trained on
  another language's training data (translate-train from the hub or local files in the task's format, with an
  optional ``data`` source of its own); model selection stays on English dev unless ``select_language`` is set;
- a task pool, ``{pool: [mnli, squad_v1, ...], subset_sizes: [1, 2, 4], subsets_per_size: 3, subset_seed: 0}``:
  random distinct subsets of the pool of each size, each one multi-task variant named ``subset<size>-<index>``.

Every variant carries ``dims``: the facts analysis groups by (subset size and index, sampler, source language).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from xstilts.data.samplers import Sampling
from xstilts.data.sources import ENGLISH, DataSource
from xstilts.errors import XstiltsError
from xstilts.tasks.base import SplitRef, Task, translation_file
from xstilts.tasks.mlm import MaskedLanguageModelling

MLM = MaskedLanguageModelling.name

# Dims (``Variant.dims`` and the plan's ``_provenance_dims``): the members' training languages, whether their data
# are human-written or machine-translated, and their non-English dev languages for model selection.
SOURCE_LANGUAGE = "source_language"
SOURCE_DATA = "source_data"
SELECT_LANGUAGE = "select_language"

BASELINE = "baseline"
BASELINE_SPELLINGS = {"none", "baseline"}
# With several methods (``method: [full, lora]``) each method is an arm of the experiment: its variants are named
# ``<variant>/<method>`` and each is compared with its own arm's baseline, ``baseline/<method>``.
ARM_SEPARATOR = "/"
# Subsets are drawn from the list of all subsets when it is at most this long, else by rejection sampling.
_ENUMERATE_LIMIT = 100_000


class MixMember(BaseModel):
    """One task of an intermediate phase, optionally on another language's training data."""

    model_config = ConfigDict(extra="forbid")

    task: str
    train_language: str | None = Field(default=None, description="default: English (the task's own training source)")
    select_language: str | None = Field(default=None, description="dev language for model selection; default English")
    data: DataSource | None = Field(default=None, description="training data source; default: the task's source")

    @property
    def name(self) -> str:
        """``task``, ``task@de`` (German training data), ``task@de~dev-de`` (and German dev for selection)."""
        name = self.task
        if self.train_language and self.train_language != ENGLISH:
            name += f"@{self.train_language}"
        if self.select_language and self.select_language != ENGLISH:
            name += f"~dev-{self.select_language}"
        return name


class TaskPool(BaseModel):
    """Random subsets of a pool of tasks (research question (a): does the number of tasks matter?)."""

    model_config = ConfigDict(extra="forbid")

    pool: list[str | MixMember] = Field(min_length=2)
    subset_sizes: list[Annotated[int, Field(ge=1)]] = Field(min_length=1)
    subsets_per_size: int = Field(default=1, ge=1)
    subset_seed: int = Field(default=0, ge=0)


def arm_variant(name: str, method: str) -> str:
    return f"{name}{ARM_SEPARATOR}{method}"


def baseline_of(variant: str) -> str:
    """What ``variant`` is compared with: the baseline of its own arm (``mnli/lora`` → ``baseline/lora``)."""
    _, separator, method = variant.partition(ARM_SEPARATOR)
    return BASELINE + separator + method


def is_baseline(variant: str) -> bool:
    return variant == baseline_of(variant)


def variant_sort_key(variant: str) -> tuple[str, bool, str]:
    """Arm by arm, each arm's baseline first."""
    return (variant.partition(ARM_SEPARATOR)[2], not is_baseline(variant), variant)


def _entry_kind(value: Any) -> str:
    if isinstance(value, list):
        return "mix"
    if isinstance(value, dict):
        return "pool" if "pool" in value else "member"
    if isinstance(value, (TaskPool, MixMember)):
        return "pool" if isinstance(value, TaskPool) else "member"
    return "name"


def _member_kind(value: Any) -> str:
    return "member" if isinstance(value, (dict, MixMember)) else "name"


MemberEntry = Annotated[Annotated[str, Tag("name")] | Annotated[MixMember, Tag("member")], Discriminator(_member_kind)]
IntermediateEntry = Annotated[
    Annotated[str | None, Tag("name")]
    | Annotated[list[MemberEntry], Tag("mix")]
    | Annotated[MixMember, Tag("member")]
    | Annotated[TaskPool, Tag("pool")],
    Discriminator(_entry_kind),
]
# Union tags that pydantic puts into error locations; they are not fields the user wrote.
ENTRY_TAGS = {"name", "mix", "member", "pool"}


@dataclass(frozen=True)
class Variant:
    name: str
    members: tuple[MixMember, ...]  # sorted by name: a mix is a set
    entry: int  # the index of the intermediate entry it comes from
    dims: dict[str, str] = field(default_factory=dict)

    @property
    def member_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)


def as_member(value: str | MixMember) -> MixMember:
    return value if isinstance(value, MixMember) else MixMember(task=value)


def mix_name(members: tuple[MixMember, ...]) -> str:
    return "+".join(m.name for m in members) if members else BASELINE


def _canonical(members: list[MixMember]) -> tuple[MixMember, ...]:
    return tuple(sorted(members, key=lambda m: m.name))


def draw_subsets(pool: list[str], size: int, count: int, seed: int) -> list[tuple[str, ...]]:
    """``count`` distinct subsets of ``size`` pool members (fewer when fewer exist), in draw order; the same
    (pool, size, count, seed) always gives the same subsets."""
    names = sorted(pool)
    available = math.comb(len(names), size)
    count = min(count, available)
    rng = np.random.default_rng([seed, size])
    if available <= _ENUMERATE_LIMIT:
        every = list(itertools.combinations(names, size))
        return [every[i] for i in rng.permutation(available)[:count].tolist()]
    drawn: dict[tuple[str, ...], None] = {}
    while len(drawn) < count:
        drawn[tuple(sorted(names[i] for i in rng.choice(len(names), size, replace=False)))] = None
    return list(drawn)


def expand(entries: list[Any], multitask: Sampling) -> list[Variant]:
    """Every variant the entries describe, in entry order."""
    out: list[Variant] = []
    for index, entry in enumerate(entries):
        if entry is None or (isinstance(entry, str) and entry.lower() in BASELINE_SPELLINGS):
            out.append(Variant(BASELINE, (), index))
        elif isinstance(entry, TaskPool):
            members = {as_member(m).name: as_member(m) for m in entry.pool}
            for size in entry.subset_sizes:
                subsets = draw_subsets(list(members), size, entry.subsets_per_size, entry.subset_seed)
                for number, subset in enumerate(subsets, start=1):
                    dims = {
                        "subset_size": str(size),
                        "subset_index": str(number),
                        "subset_seed": str(entry.subset_seed),
                    }
                    variant = _variant(f"subset{size}-{number}", [members[n] for n in subset], index, multitask)
                    out.append(Variant(variant.name, variant.members, index, {**dims, **variant.dims}))
        else:
            members = [as_member(m) for m in entry] if isinstance(entry, list) else [as_member(entry)]
            out.append(_variant(None, members, index, multitask))
    return out


def _variant(name: str | None, members: list[MixMember], index: int, multitask: Sampling) -> Variant:
    canonical = _canonical(members)
    dims = {"num_tasks": str(len(canonical))}
    languages = sorted({m.train_language or ENGLISH for m in canonical if m.task != MLM})
    if languages:
        dims[SOURCE_LANGUAGE] = "+".join(languages)
    if MLM in {m.task for m in canonical}:
        dims["mlm"] = "yes"
    if len(canonical) > 1:
        dims["sampler"] = multitask.describe()
    return Variant(name or mix_name(canonical), canonical, index, dims)


def training_source(task: Task, language: str, tasks: dict[str, Task], data: DataSource | None = None) -> SplitRef:
    """Where ``task``'s training data in ``language`` comes from: its usual training source when that has the
    language (MNLI for XNLI in English) or when ``data`` is a user-supplied translation of it (one file in its
    format, named with the language), else the task's own ``train`` split (translate-train data)."""
    usual = task.train_from
    translation = translation_file(data)
    if translation is not None and language != ENGLISH:
        tasks[usual.task].check_translation(translation, language)
        return usual
    if language in tasks[usual.task].splits.get(usual.split, ()):
        return usual
    if language in task.splits.get("train", ()):
        return SplitRef(task.name, "train")
    have = sorted(set(tasks[usual.task].splits.get(usual.split, ())) | set(task.splits.get("train", ())))
    raise XstiltsError(
        f"task {task.name!r} has no training data in {language!r} (training languages: {', '.join(have) or 'none'});"
        " or give a translation of its training file: data: {source: local, path: FILE named with the language}"
    )
