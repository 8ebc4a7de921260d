"""One training loop for any set of tasks: proportional multi-task sampling, accumulation, clipping,
linear warmup/decay, per-epoch model selection on English dev, and exact resume from checkpoints.

The batch order of an epoch is a pure function of (seed, epoch); together with the restored RNG, optimizer
and scheduler state this makes a resumed run continue bit-for-bit where the interrupted one stopped (CPU).
Metrics are not computed here: the caller passes ``select``, which scores the model on English dev.

Under ``accelerate launch`` (DDP) the schedule stays global: every process takes its share of each global
batch, weighted so that the averaged gradient is the one-process gradient of the whole batch; only the main
process scores dev, writes checkpoints and artefacts, and the others wait for it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import torch
from accelerate import Accelerator
from accelerate.utils import DistributedDataParallelKwargs, InitProcessGroupKwargs
from tqdm.auto import tqdm
from transformers import get_linear_schedule_with_warmup

from xstilts.data.batching import TaskStream, collate, epoch_schedule
from xstilts.data.samplers import PROPORTIONAL, Sampling
from xstilts.errors import Preempted, XstiltsError
from xstilts.models.contrastive import LOCAL_ROWS
from xstilts.models.heads import Head
from xstilts.training.checkpoint import latest_checkpoint, load_checkpoint, load_weights, save_checkpoint, save_weights
from xstilts.training.preemption import stop_requests
from xstilts.training.settings import TrainingSettings
from xstilts.training.tracking import PhaseTracking

# Scores the model on English dev: (selection score, every dev metric by "head/metric").
Selector = Callable[[torch.nn.Module], tuple[float, dict[str, float]]]


# Other processes wait at a barrier while the main one scores dev or evaluates every language.
_BARRIER_TIMEOUT = timedelta(hours=6)


@functools.cache
def make_accelerator() -> Accelerator:
    """One per process (accelerate's state is global): bf16 autocast on CUDA, fp32 on CPU. Under DDP a
    multi-task model's micro-batch uses one head only, so the other heads' parameters go unused in it."""
    cuda = torch.cuda.is_available()
    return Accelerator(
        mixed_precision="bf16" if cuda else "no",
        # Accelerate runs DDP on CPU (gloo) only when told to use the CPU, which torchrun does not say.
        cpu=not cuda and int(os.environ.get("WORLD_SIZE", "1")) > 1,
        kwargs_handlers=[
            DistributedDataParallelKwargs(find_unused_parameters=True),
            InitProcessGroupKwargs(timeout=_BARRIER_TIMEOUT),
        ],
    )


def _own_learning_rates(model: torch.nn.Module) -> dict[str, float]:
    """Parameter-name prefixes that train at their own rate, as the heads declare them (``Head.learning_rates``)."""
    heads = getattr(model, "heads", None)
    if not isinstance(heads, torch.nn.ModuleDict):
        return {}
    return {
        f"heads.{name}.{prefix}": lr
        for name, head in heads.items()
        if isinstance(head, Head)
        for prefix, lr in head.learning_rates().items()
    }


def _optimizer(model: torch.nn.Module, settings: TrainingSettings, device: torch.device) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    own = _own_learning_rates(model)
    extra: dict[tuple[float, bool], list[torch.nn.Parameter]] = {}
    for name, param in model.named_parameters():
        if param.requires_grad:
            decays = not (param.ndim < 2 or "LayerNorm" in name or "layer_norm" in name)
            lr = next((value for prefix, value in own.items() if name.startswith(prefix)), None)
            if lr is not None:
                extra.setdefault((lr, decays), []).append(param)
            else:
                (decay if decays else no_decay).append(param)
    groups = [
        {"params": decay, "weight_decay": settings.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    # Parameters with a rate of their own (a vision stem from scratch) follow in groups of their own; the
    # scheduler scales every group's rate alike.
    groups += [
        {"params": params, "weight_decay": settings.weight_decay if decays else 0.0, "lr": lr}
        for (lr, decays), params in extra.items()
    ]
    # Fused AdamW runs on CPU too (torch >= 2.4): one kernel per step instead of a dozen foreach passes.
    return torch.optim.AdamW(groups, lr=settings.lr, fused=device.type in ("cpu", "cuda"))


def _share(indices: list[int], rank: int, processes: int) -> tuple[list[int], float]:
    """This process's rows of a global batch and its loss weight. DDP averages gradients over processes, so
    weighting each process's mean loss by (its rows x processes / batch rows) gives the gradient of the whole
    batch's mean loss. A process left without rows runs one row with weight 0: it must still join the
    gradient all-reduce."""
    if processes == 1:
        return indices, 1.0
    mine = indices[rank::processes]
    if not mine:
        return indices[:1], 0.0
    return mine, len(mine) * processes / len(indices)


def _data_fingerprint(streams: list[TaskStream]) -> str:
    """A short hash of every head's training features, in order."""
    parts = "".join(f"{stream.head}:{stream.features.fingerprint()};" for stream in streams)
    return hashlib.sha256(parts.encode()).hexdigest()[:16]


def train(
    model: torch.nn.Module,
    streams: list[TaskStream],
    pad_id: int,
    settings: TrainingSettings,
    seed: int,
    workdir: Path,
    select: Selector,
    accelerator: Accelerator,
    desc: str,
    sampling: Sampling = PROPORTIONAL,
    tracking: PhaseTracking | None = None,
) -> dict[str, Any]:
    """Trains in place and leaves the selected weights in ``model``; returns the loop's record. ``sampling``
    shares a multi-task epoch among the tasks (``data.samplers``); the epoch length does not depend on it."""
    workdir.mkdir(parents=True, exist_ok=True)
    accum = settings.grad_accum
    micro_per_epoch = sum(math.ceil(len(s.features) / settings.batch_size) for s in streams)
    steps_per_epoch = math.ceil(micro_per_epoch / accum)
    total_steps = steps_per_epoch * settings.epochs
    if settings.max_steps is not None:
        total_steps = min(total_steps, settings.max_steps)
    optimizer = _optimizer(model, settings, accelerator.device)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(settings.warmup_ratio * total_steps), total_steps)
    if settings.compile:
        cast(Any, model).encoder.compile()  # in place: parameter names, and so checkpoints and artefacts, stay the same
    model, optimizer = accelerator.prepare(model, optimizer)
    main, rank, processes = accelerator.is_main_process, accelerator.process_index, accelerator.num_processes
    shape = {"total_steps": total_steps, "micro_batches_per_epoch": micro_per_epoch}
    # Other examples of the same number give the same shape: the features' hash tells them apart.
    data = _data_fingerprint(streams)
    state: dict[str, Any] = {
        "step": 0,
        "epoch": 0,
        "group": 0,
        "best": None,
        "history": [],
        "shape": shape,
        "data": data,
    }
    resume = latest_checkpoint(workdir)
    if resume is not None:
        state = load_checkpoint(resume, accelerator.unwrap_model(model), optimizer, scheduler)
        # A checkpoint written before the hash was recorded is checked by its shape only.
        if state.get("shape") != shape or state.get("data", data) != data:
            raise XstiltsError(
                f"{resume}: the checkpoint was made for {state.get('shape')} (data {state.get('data')}) but the"
                f" training data now give {shape} (data {data}); the data changed since the interruption."
                f" Delete {workdir.parent} to start this phase anew"
            )
    resumed_from_step = state["step"]
    bar = tqdm(total=total_steps, initial=state["step"], desc=desc, unit="step", dynamic_ncols=True, disable=not main)
    with stop_requests() as stop:
        while state["step"] < total_steps and state["epoch"] < settings.epochs:
            schedule = epoch_schedule(
                streams, settings.batch_size, seed, state["epoch"], settings.group_by_length, sampling
            )
            groups = [schedule[i : i + accum] for i in range(0, len(schedule), accum)]
            features = {s.head: s.features for s in streams}
            for g in range(state["group"], len(groups)):
                model.train()
                # A micro-batch is one part (one task) or, with mixed batching, one part per task drawn into it;
                # each part's mean loss counts by its share of the micro-batch's rows.
                parts = [
                    (head, indices, len(indices) / sum(len(rows) for _, rows in micro))
                    for micro in groups[g]
                    for head, indices in micro
                ]
                for m, (head, indices, part_share) in enumerate(parts):
                    rows, weight = _share(indices, rank, processes)
                    batch = collate(features[head], rows, pad_id, with_targets=True)
                    if processes > 1:  # a contrastive head gathers the real rows of every process as negatives
                        batch[LOCAL_ROWS] = torch.tensor(len(rows) if weight else 0)
                    weight *= part_share
                    batch = {k: v.to(accelerator.device) for k, v in batch.items()}
                    # Gradients are all-reduced once per optimizer step, on its last micro-batch.
                    with accelerator.no_sync(model) if m < len(parts) - 1 else contextlib.nullcontext():
                        with accelerator.autocast():
                            logits = model(head, batch)
                            loss = accelerator.unwrap_model(model).loss(head, logits, batch)
                            if weight != 1.0:
                                loss = loss * weight
                            loss = loss / len(groups[g])
                        accelerator.backward(loss)
                accelerator.clip_grad_norm_(model.parameters(), settings.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                state["step"] += 1
                state["group"] = g + 1
                bar.update(1)
                step_loss = loss.item() * len(groups[g])
                bar.set_postfix(loss=f"{step_loss:.4f}", epoch=state["epoch"] + 1)
                if tracking is not None:
                    tracking.log_step(state["step"], step_loss, float(scheduler.get_last_lr()[0]))
                if state["step"] >= total_steps:
                    break
                stopping = stop.agreed(accelerator)
                if stopping:  # preemption: a checkpoint at this step boundary, then stop (training.preemption)
                    if main:
                        save_checkpoint(workdir, accelerator.unwrap_model(model), optimizer, scheduler, state)
                    accelerator.wait_for_everyone()
                    bar.close()
                    raise Preempted(stopping, state["step"], str(workdir))
                if state["step"] % settings.checkpoint_every == 0:
                    if main:
                        save_checkpoint(workdir, accelerator.unwrap_model(model), optimizer, scheduler, state)
                    accelerator.wait_for_everyone()
            if main:
                _select_epoch(accelerator.unwrap_model(model), state, select, workdir, settings.select_best)
                if tracking is not None:
                    last = state["history"][-1]
                    tracking.log_epoch(last["epoch"], last["step"], last["dev"], last["selection_score"])
            state["epoch"] += 1
            state["group"] = 0
            if main:
                save_checkpoint(workdir, accelerator.unwrap_model(model), optimizer, scheduler, state)
            accelerator.wait_for_everyone()
    bar.close()
    unwrapped = accelerator.unwrap_model(model)
    if main and settings.select_best and state["best"] is not None:
        load_weights(unwrapped, workdir / state["best"]["weights"])
    accelerator.free_memory()  # accelerate keeps every prepared model and optimizer alive otherwise
    return {
        "steps": state["step"],
        "total_steps": total_steps,
        "resumed_from_step": resumed_from_step,
        "best": state["best"],
        "history": state["history"],
    }


def _select_epoch(
    model: torch.nn.Module, state: dict[str, Any], select: Selector, workdir: Path, keep_best: bool
) -> None:
    score, scores = select(model)
    record = {"epoch": state["epoch"] + 1, "step": state["step"], "dev": scores, "selection_score": score}
    state["history"].append(record)
    if keep_best and (state["best"] is None or score > state["best"]["selection_score"]):
        # One file per epoch, referenced from the loop state: the checkpoint that records a new best is what
        # makes it current, so a kill between the two never pairs one epoch's weights with another's scores.
        record["weights"] = f"best-epoch{record['epoch']}.safetensors"
        save_weights(model, workdir / record["weights"])
        state["best"] = record
    elif not keep_best:
        state["best"] = record
