"""What a training phase starts from and which parameters it trains, per method (``experiments.methods``).

- no recipe (``full``): the pretrained encoder or the parent's, all of it trained (the paper);
- intermediate ``bottleneck`` / ``lora`` / ``madx``: one new adapter, ``intermediate``, shared by the tasks of
  the mix (under MAD-X stacked on the frozen source-language adapter);
- intermediate ``fusion``: one new adapter per task, each task's batches through its own;
- target ``stack``: the parent's adapters frozen, a new ``target_<task>`` adapter stacked on top;
- target ``fuse``: the parent's per-task adapters frozen and fused by a new, trained fusion layer;
- target ``merge``: the parent's LoRA merged into the encoder, which is then fine-tuned in full.
Without a parent (the arm's baseline) the target phase trains a new adapter on the pretrained encoder (or
the whole encoder for ``merge``). Heads are always new and trained.
"""

from __future__ import annotations

from typing import Any

from adapters.composition import Stack

from xstilts.artefacts import PhaseDir, read_json
from xstilts.errors import ModelLoadError
from xstilts.kinds.masked_lm import MASKED_LM
from xstilts.models.adapters import (
    INTERMEDIATE,
    AdapterModel,
    Route,
    add_fusion,
    library_config,
    load_adapters,
    load_base,
    load_language_adapter,
    merged_encoder,
)
from xstilts.models.encoder import load_encoder, model_fingerprint
from xstilts.models.mlm_head import pretrained_mlm_head
from xstilts.models.multitask import MultiTaskModel
from xstilts.phase_config import AdapterRecipe, TrainPhaseConfig


def build_train_model(
    config: TrainPhaseConfig, parent_dir: PhaseDir | None, head_specs: dict[str, dict[str, Any]]
) -> tuple[MultiTaskModel, Any]:
    """(model with fresh heads and the trainable parameters set, tokenizer) for a training phase's config."""
    recipe, trust = config.adapters, config.trust_remote_code
    if recipe is None or recipe.target_method == "merge":
        if parent_dir is None:
            model = config.pretrained
            encoder, tokenizer = load_encoder(model.name, model.revision, trust_remote_code=trust)
        elif parent_dir.is_adapter_artefact():  # merge: the parent's LoRA goes into the encoder
            encoder, tokenizer = merged_encoder(parent_dir, trust)
        else:  # full fine-tuning, or a later stage of a merged target (XCOPA: Social IQa, then COPA)
            encoder, tokenizer = load_encoder(str(parent_dir.encoder), trust_remote_code=trust)
        model, tokenizer = MultiTaskModel(encoder, head_specs), tokenizer
    else:
        model, tokenizer = _adapter_model(recipe, config, parent_dir, head_specs)
    if parent_dir is None:
        _start_mlm_heads_from_checkpoint(model, config)
    return model, tokenizer


def _start_mlm_heads_from_checkpoint(model: MultiTaskModel, config: TrainPhaseConfig) -> None:
    """Continued MLM continues the checkpoint's own MLM head where it has one: a random head would start at a
    loss of ln(vocabulary) and send large gradients into the pretrained encoder."""
    names = [name for name, spec in model.head_specs.items() if spec["kind"] == MASKED_LM.name]
    if not names:
        return
    weights = pretrained_mlm_head(config.pretrained.name, config.pretrained.revision, config.trust_remote_code)
    if weights is not None:
        for name in names:
            model.heads[name].load_state_dict(weights)


def _adapter_model(
    recipe: AdapterRecipe, config: TrainPhaseConfig, parent_dir: PhaseDir | None, head_specs: dict[str, dict[str, Any]]
) -> tuple[AdapterModel, Any]:
    trust, method = config.trust_remote_code, recipe.method
    parent: dict[str, Any] | None = None
    if parent_dir is None:
        base = config.pretrained.model_dump()
        encoder, tokenizer = load_base(base, trust)
    else:
        parent = record = read_json(parent_dir.adapter_setup)
        base = record["base"]
        encoder, tokenizer = load_base(base, trust)
        load_adapters(parent_dir, encoder)
    languages = dict(parent["languages"]) if parent else {}
    for language, source in (recipe.languages or {}).items():
        if language not in languages:
            if not source.hub and model_fingerprint(source.name) != source.fingerprint:
                raise ModelLoadError(f"the language adapter {source.name} changed since this run was planned")
            languages[language] = load_language_adapter(encoder, source.name, language, source.hub)
    madx = method == "madx"
    new = library_config(method, recipe.adapter) if recipe.adapter is not None else None
    if recipe.stage == "intermediate" and method == "fusion":
        names = {head: f"{INTERMEDIATE}_{head}" for head in head_specs}
        for name in names.values():
            encoder.add_adapter(name, config=new)
        encoder.train_adapter(Stack(*names.values()))  # pyright: ignore[reportArgumentType]  (adapters annotates *children as one list)
        routes = {head: Route((name,)) for head, name in names.items()}
    elif recipe.stage == "intermediate":
        encoder.add_adapter(INTERMEDIATE, config=new)
        encoder.train_adapter(INTERMEDIATE)
        routes = {head: Route((INTERMEDIATE,), madx) for head in head_specs}
    elif recipe.target_method == "fuse" and parent is not None and not parent["fusions"]:
        if recipe.fusion is None:
            raise ValueError("the recipe of a fused target names no fusion settings")
        fused = [name for name in parent["adapters"] if name not in parent["languages"].values()]
        encoder.train_adapter_fusion(add_fusion(encoder, fused, recipe.fusion))
        routes = {head: Route((tuple(fused),)) for head in head_specs}
    else:  # stack, or a later stage of a target (XCOPA): a new target adapter on the parent's route (if any)
        below = _single_route(parent).stack if parent else ()
        routes = {}
        for head in head_specs:
            encoder.add_adapter(f"target_{head}", config=new)
            routes[head] = Route((*below, f"target_{head}"), madx)
        encoder.train_adapter(Stack(*(f"target_{head}" for head in head_specs)))  # pyright: ignore[reportArgumentType]  (adapters annotates *children as one list)
    return AdapterModel(encoder, head_specs, routes, base, languages, recipe.source_language), tokenizer


def _single_route(parent: dict[str, Any]) -> Route:
    """The route all of the parent's heads share (a mix trained one adapter for all its tasks)."""
    routes = {Route.from_json(route) for route in parent["routes"].values()}
    if len(routes) != 1:
        raise ValueError(f"cannot stack on a parent whose tasks took different routes: {sorted(map(str, routes))}")
    return routes.pop()
