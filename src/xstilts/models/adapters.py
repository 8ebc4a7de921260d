"""Adapters through AdapterHub's ``adapters``: building them from settings, routing each head through its
composition (``Stack`` / ``Fuse``), and adapter-only artefacts.

An adapter artefact holds every adapter and fusion layer of the model in the library's own format
(``save_adapter`` / ``save_adapter_fusion`` with safetensors, reloadable with ``load_adapter`` /
``load_adapter_fusion``), the heads, and ``adapter_setup.json``: the base model (id, revision, fingerprint), the
adapters and fusions to load, each head's route, and the language adapters. The next phase rebuilds
base + adapters from it; no copy of the encoder is written.

Names: ``intermediate`` (the intermediate phase's adapter), ``intermediate_<task>`` (one per task for fusion),
``target_<task>``, ``lang_<language>`` (MAD-X), ``fusion`` (the one fusion layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from adapters import AdapterConfig, AdapterFusionConfig, AdapterSetup, LoRAConfig
from adapters import init as init_adapters
from adapters.composition import AdapterCompositionBlock, Fuse, Stack

from xstilts.artefacts import PhaseDir, atomic_write_json, read_json
from xstilts.errors import ModelLoadError
from xstilts.hub import hub_offline
from xstilts.models.encoder import load_encoder, model_fingerprint
from xstilts.models.multitask import MultiTaskModel

FUSION = "fusion"
INTERMEDIATE = "intermediate"
_BOTTLENECK = {"pfeiffer": "seq_bn", "houlsby": "double_seq_bn"}
_ATTENTION = ("q", "k", "v")


def language_adapter(language: str) -> str:
    return f"lang_{language}"


def library_config(method: str, settings: dict[str, Any]) -> AdapterConfig:
    """The ``adapters`` config for a new adapter from the experiment's settings (``experiments.methods``)."""
    if method == "lora":
        modules = settings["target_modules"]
        attention = [m for m in modules if m in _ATTENTION]
        return LoRAConfig(
            r=settings["r"],
            alpha=settings["alpha"],
            dropout=settings["dropout"],
            selfattn_lora=bool(attention),
            attn_matrices=attention or list(_ATTENTION[::2]),
            intermediate_lora="intermediate" in modules,
            output_lora="output" in modules,
        )
    config = AdapterConfig.load(_BOTTLENECK[settings["config"]], reduction_factor=settings["reduction_factor"])
    if config is None:  # ``load`` answers None only for a None name
        raise ValueError(f"unknown bottleneck config {settings['config']!r}")
    return config


@dataclass(frozen=True)
class Route:
    """A head's path through the adapters: a ``Stack`` of names, where a tuple of names is a ``Fuse``; with
    ``language`` the current language adapter goes first (MAD-X)."""

    stack: tuple[str | tuple[str, ...], ...]
    language: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"stack": [list(x) if isinstance(x, tuple) else x for x in self.stack], "language": self.language}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Route:
        return cls(tuple(tuple(x) if isinstance(x, list) else x for x in data["stack"]), data["language"])


class AdapterModel(MultiTaskModel):
    """A frozen encoder with adapters and a dict of heads; each head's forward pass runs under its route."""

    def __init__(
        self,
        encoder: torch.nn.Module,
        head_specs: dict[str, dict[str, Any]],
        routes: dict[str, Route],
        base: dict[str, Any],
        languages: dict[str, str] | None = None,
        source_language: str | None = None,
    ) -> None:
        super().__init__(encoder, head_specs)
        self.routes = dict(routes)
        self.base = dict(base)
        self.languages = dict(languages or {})
        self.source_language = source_language
        self.language = source_language

    def composition(self, head: str) -> AdapterCompositionBlock:
        route = self.routes[head]
        items: list[Any] = [language_adapter(self.language)] if route.language and self.language else []
        items += [Fuse(*x, name=FUSION) if isinstance(x, tuple) else x for x in route.stack]  # pyright: ignore[reportArgumentType]  (adapters annotates *children as one list)
        return items[0] if len(items) == 1 and isinstance(items[0], Fuse) else Stack(*items)  # pyright: ignore[reportArgumentType]  (adapters annotates *children as one list)

    def use_language(self, language: str) -> str:
        """Routes through ``language``'s adapter if there is one, else the source language's; returns the
        language whose adapter is now used."""
        self.language = language if language in self.languages else self.source_language
        assert self.language is not None, "use_language needs language adapters"
        return self.language

    def forward(self, head: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        with AdapterSetup(self.composition(head)):
            out = super().forward(head, batch)
            if self.routes[head].language and self.heads[head].maps_to_embeddings:
                # MAD-X: the invertible adapter's inverse takes the MLM head's output back to the embedding
                # space before the tied decoder, as ``adapters``' own masked-LM head does.
                out = self.encoder.invertible_adapters_forward(out, rev=True)
            return out

    def loss(self, head: str, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The head's loss, plus AdapterFusion's regularisation of trained value matrices towards the identity
        (what ``adapters``' own trainer adds; ``None`` when no fusion is trained)."""
        loss = super().loss(head, logits, batch)
        regularisation = self.encoder.get_fusion_regularization_loss() if self.training else None
        return loss if regularisation is None else loss + regularisation

    def save(self, directory: PhaseDir, tokenizer: Any = None) -> None:
        """Adapters, fusions and heads, plus ``adapter_setup.json`` (the tokenizer is the base model's)."""
        config = self.encoder.adapters_config
        names = list(config.adapters)
        fusions = {name: list(config.fusion_name_map[name]) for name in config.fusions}
        for name in names:
            directory.adapter(name).parent.mkdir(parents=True, exist_ok=True)  # the library makes only the last level
            self.encoder.save_adapter(str(directory.adapter(name)), name, use_safetensors=True)
        for name in fusions:
            directory.fusion(name).parent.mkdir(parents=True, exist_ok=True)
            self.encoder.save_adapter_fusion(str(directory.fusion(name)), name, use_safetensors=True)
        self.save_heads(directory)
        record = {
            "base": self.base,
            "adapters": names,
            "fusions": fusions,
            "routes": {head: route.to_json() for head, route in self.routes.items()},
            "languages": self.languages,
            "source_language": self.source_language,
        }
        atomic_write_json(directory.adapter_setup, record)


def load_base(base: dict[str, Any], trust_remote_code: bool) -> tuple[Any, Any]:
    """The pretrained encoder an adapter artefact was trained on, ready for adapters; a local directory must
    still hold the same files (its fingerprint), or the adapters would sit on different weights."""
    if Path(base["name"]).expanduser().is_dir() and model_fingerprint(base["name"]) != base["fingerprint"]:
        raise ModelLoadError(
            f"the base model {base['name']} changed since its adapters were trained"
            f" (fingerprint {model_fingerprint(base['name'])}, expected {base['fingerprint']})"
        )
    encoder, tokenizer = load_encoder(base["name"], base["revision"], trust_remote_code=trust_remote_code)
    init_adapters(encoder)
    return encoder, tokenizer


def load_adapters(directory: PhaseDir, encoder: Any) -> dict[str, Any]:
    """Loads an artefact's adapters and fusions into ``encoder``; returns its ``adapter_setup.json``."""
    record = read_json(directory.adapter_setup)
    for name in record["adapters"]:
        encoder.load_adapter(str(directory.adapter(name)), load_as=name, use_safetensors=True)
    for name in record["fusions"]:
        encoder.load_adapter_fusion(str(directory.fusion(name)), load_as=name, use_safetensors=True)
    return record


def load_language_adapter(encoder: Any, source: str, language: str, hub: bool) -> str:
    """Loads a language adapter from a directory written by ``save_adapter``, or with ``hub`` from the Hugging
    Face hub by id; returns the name it gets in the model."""
    name = language_adapter(language)
    try:
        encoder.load_adapter(source, load_as=name, use_safetensors=True)
    except (OSError, ValueError) as err:  # what the library raises for missing files and unknown ids
        where = source
        if hub:
            where = f"hub id {source}" + (" (offline: HF_HUB_OFFLINE is set)" if hub_offline() else "")
        raise ModelLoadError(f"cannot load the {language} language adapter from {where}: {err}") from err
    return name


def add_fusion(encoder: Any, names: list[str], settings: dict[str, Any]) -> Fuse:
    fuse = Fuse(*names, name=FUSION)  # pyright: ignore[reportArgumentType]  (adapters annotates *children as one list)
    encoder.add_adapter_fusion(fuse, config=AdapterFusionConfig.load(settings["config"]))
    return fuse


def merged_encoder(directory: PhaseDir, trust_remote_code: bool) -> tuple[Any, Any]:
    """A plain encoder whose weights are the base model's with the artefact's LoRA adapters merged in
    (``merge_adapter``), for full fine-tuning from there."""
    record = read_json(directory.adapter_setup)
    with_lora, _ = load_base(record["base"], trust_remote_code)
    load_adapters(directory, with_lora)
    for name in record["adapters"]:
        with_lora.merge_adapter(name)
    plain, tokenizer = load_encoder(record["base"]["name"], record["base"]["revision"], trust_remote_code)
    merged = with_lora.state_dict()
    missing = [key for key in plain.state_dict() if key not in merged]
    if missing:
        raise ModelLoadError(f"{directory.root}: merging the adapters left no value for {missing[:3]}")
    plain.load_state_dict({key: merged[key] for key in plain.state_dict()})
    return plain, tokenizer


def load_phase_model(directory: PhaseDir, trust_remote_code: bool) -> tuple[MultiTaskModel, Any]:
    """A trained phase's model with its heads: base + adapters for an adapter artefact, else its encoder."""
    heads = read_json(directory.heads_json)
    if directory.is_adapter_artefact():
        record = read_json(directory.adapter_setup)
        encoder, tokenizer = load_base(record["base"], trust_remote_code)
        load_adapters(directory, encoder)
        routes = {head: Route.from_json(route) for head, route in record["routes"].items()}
        model: MultiTaskModel = AdapterModel(
            encoder, heads, routes, record["base"], record["languages"], record["source_language"]
        )
    else:
        encoder, tokenizer = load_encoder(str(directory.encoder), trust_remote_code=trust_remote_code)
        model = MultiTaskModel(encoder, heads)
    model.load_heads(directory)
    return model, tokenizer


def use_language(model: MultiTaskModel, language: str) -> str | None:
    """For a MAD-X model: switches to ``language``'s adapter (or the fallback) and returns the language whose
    adapter is used; ``None`` for models without language adapters."""
    if isinstance(model, AdapterModel) and model.languages:
        return model.use_language(language)
    return None
