"""How the intermediate phase trains (``method``) and how the target phase builds on it (``target_method``).

``full`` fine-tunes the whole encoder (the paper). The others train adapters with AdapterHub's ``adapters``
and keep the encoder frozen: ``bottleneck`` (Pfeiffer or Houlsby), ``lora``, ``madx`` (a task adapter stacked on
a frozen language adapter, which evaluation swaps for the target language's) and ``fusion`` (one adapter per
intermediate task, fused for the target). A list of methods makes ``method`` a grid dimension.

Each arm has its own baseline: the same target recipe without the intermediate phase (a target adapter on the
pretrained encoder, or full fine-tuning for ``merge``), so every arm is compared with like.

This module only validates settings and writes them into phase configs; it does not import ``adapters``
(which takes seconds to import), so planning stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xstilts.data.sources import ENGLISH
from xstilts.models.encoder import model_fingerprint
from xstilts.phase_config import AdapterRecipe, LanguageAdapterRef

Method = Literal["full", "bottleneck", "lora", "madx", "fusion"]
TargetMethod = Literal["stack", "fuse", "merge"]
FULL = "full"

# method -> the target methods it allows; the first is its default.
TARGET_METHODS: dict[str, tuple[str, ...]] = {
    "bottleneck": ("stack",),
    "lora": ("stack", "merge"),
    "madx": ("stack",),
    "fusion": ("fuse",),
}
# Files that ``adapters``' ``save_adapter`` writes into an adapter's directory.
ADAPTER_CONFIG_FILE = "adapter_config.json"
HUB_PREFIX = "hub:"  # a language adapter on the Hugging Face hub rather than a local directory


class BottleneckOptions(BaseModel):
    """Bottleneck adapters: ``pfeiffer`` (``seq_bn``, after the feed-forward block) or ``houlsby``
    (``double_seq_bn``, after attention and feed-forward). Also the task adapters of ``madx`` and ``fusion``."""

    model_config = ConfigDict(extra="forbid")

    config: Literal["pfeiffer", "houlsby"] = "pfeiffer"
    reduction_factor: float = Field(default=16, gt=0, description="hidden size / bottleneck size")


class LoRAOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    r: int = Field(default=8, ge=1)
    alpha: int = Field(default=8, ge=1)
    dropout: float = Field(default=0.0, ge=0, lt=1)
    target_modules: list[Literal["q", "k", "v", "intermediate", "output"]] = Field(
        default_factory=lambda: ["q", "v"], min_length=1, description="attention matrices and/or the MLP's layers"
    )


class MadXOptions(BaseModel):
    """Language adapters in ``adapters``' own format (a directory written by ``save_adapter``), by language.
    The source language's adapter is used for training; evaluation uses each language's own adapter where
    there is one and the source language's otherwise."""

    model_config = ConfigDict(extra="forbid")

    languages: dict[str, str] = Field(
        default_factory=dict, description="language -> adapter directory, or hub:ID for one on the Hugging Face hub"
    )
    source_language: str = ENGLISH


class FusionOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: Literal["dynamic", "static"] = Field(
        default="dynamic", description="AdapterFusion's two published variants"
    )


class AdapterOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bottleneck: BottleneckOptions = Field(default_factory=BottleneckOptions)
    lora: LoRAOptions = Field(default_factory=LoRAOptions)
    madx: MadXOptions = Field(default_factory=MadXOptions)
    fusion: FusionOptions = Field(default_factory=FusionOptions)


def as_methods(method: str | Sequence[str]) -> list[str]:
    return [method] if isinstance(method, str) else list(method)


def method_problems(
    method: str | Sequence[str], target_method: str | None, options: AdapterOptions, target_kinds: Sequence[str] = ()
) -> list[tuple[tuple[str | int, ...], str]]:
    """(location, message) for each setting that cannot be used; empty when all is well. ``target_kinds`` are
    the kinds of the experiment's targets, in order."""
    methods = as_methods(method)
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if methods != [FULL]:
        for i, kind in enumerate(target_kinds):
            if kind == "retrieval":  # retrieval evaluates a bare encoder's embeddings: no heads, no routes
                problems.append((("target", i), "retrieval targets are evaluated with full fine-tuning only"))
    if not methods:
        problems.append((("method",), "give at least one method"))
    if len(set(methods)) != len(methods):
        problems.append((("method",), "a method is listed twice"))
    if target_method is not None:
        for m in methods:
            if m != FULL and target_method not in TARGET_METHODS[m]:
                allowed = ", ".join(TARGET_METHODS[m])
                problems.append((("target_method",), f"method {m!r} allows target_method {allowed}"))
        if methods == [FULL]:
            problems.append((("target_method",), "target_method applies to adapter methods; method is 'full'"))
    if "madx" in methods:
        madx = options.madx
        if madx.source_language not in madx.languages:
            # Point at the method when the file has no language adapters at all, since there is no entry to show.
            loc = ("adapters", "madx", "languages") if madx.languages else ("method",)
            problems.append(
                (loc, f"madx needs adapters.madx.languages with the source language's ({madx.source_language})")
            )
        for language, path in madx.languages.items():
            if not path.startswith(HUB_PREFIX) and not (Path(path) / ADAPTER_CONFIG_FILE).is_file():
                problems.append(
                    (
                        ("adapters", "madx", "languages", language),
                        f"{path} is not an adapter directory (no {ADAPTER_CONFIG_FILE}; write one with save_adapter)",
                    )
                )
    return problems


def anchor_adapter_paths(options: AdapterOptions, base: Path) -> None:
    """Language adapter directories are relative to the experiment file, like every other path in it."""
    for language, path in options.madx.languages.items():
        if not path.startswith(HUB_PREFIX):
            options.madx.languages[language] = str((base / Path(path).expanduser()).resolve())


def _languages(options: AdapterOptions, which: list[str]) -> dict[str, LanguageAdapterRef]:
    """Each language adapter's source (a directory, or a hub id), and what identifies its weights."""
    out = {}
    for language in sorted(which):
        path = options.madx.languages[language]
        hub = path.startswith(HUB_PREFIX)
        name = path.removeprefix(HUB_PREFIX)
        fingerprint = f"hub:{name}" if hub else model_fingerprint(name)
        out[language] = LanguageAdapterRef(name=name, hub=hub, fingerprint=fingerprint)
    return out


def adapter_recipe(
    method: str, stage: Literal["intermediate", "target"], target_method: str | None, options: AdapterOptions
) -> AdapterRecipe | None:
    """What a phase of an adapter arm needs to know, as written into its config (and so into its id).

    ``stage`` is ``intermediate`` or ``target``. The intermediate phase of ``madx`` names only the source
    language's adapter (so adding a language does not retrain it); the target phase names all of them, and its
    artefact carries them to evaluation.
    """
    if method == FULL:
        return None
    if stage == "target":
        chosen = target_method or TARGET_METHODS[method][0]
        if chosen == "merge":  # the parent's LoRA is merged and the whole encoder fine-tuned: nothing new to add
            return AdapterRecipe(method=method, stage=stage, target_method=chosen)
    else:
        chosen = None
    madx = method == "madx"
    source = options.madx.source_language
    return AdapterRecipe(
        method=method,
        stage=stage,
        target_method=chosen,
        adapter=(options.lora if method == "lora" else options.bottleneck).model_dump(),
        fusion=options.fusion.model_dump() if method == "fusion" and stage == "target" else None,
        source_language=source if madx else None,
        languages=_languages(options, [source] if stage == "intermediate" else list(options.madx.languages))
        if madx
        else None,
    )


def recipe_identity(recipe: dict[str, Any]) -> dict[str, Any]:
    """The recipe as it enters a phase id: language adapters by fingerprint, not by where they lie."""
    identity = dict(recipe)
    if "languages" in identity:
        identity["languages"] = {k: v["fingerprint"] for k, v in identity["languages"].items()}
    return identity
