"""Resumable training state in safetensors and JSON (no pickle): model, optimizer, scheduler, RNG, counters.

Checkpoints are written to ``checkpoint-<step>/`` and become current only when the ``latest`` pointer file is
atomically replaced, so a kill during a write leaves the previous checkpoint in force. Each checkpoint records
its files' sizes and SHA-256 (``checksums.json``); one whose files no longer match is not loaded.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from xstilts.artefacts import (
    DiskFull,
    atomic_write_json,
    atomic_write_text,
    disk_full,
    file_checksum,
    is_disk_full,
    read_json,
)

logger = logging.getLogger(__name__)

LATEST = "latest"
CHECKPOINT_SUMS = "checksums.json"  # size and SHA-256 of the checkpoint's other files, written before state.json


def save_weights(model: torch.nn.Module, path: Path) -> None:
    """The trainable parameters and buffers only: frozen weights (e.g. word embeddings) come back from the
    model the phase starts from, so checkpoints stay small and fast to write."""
    state = {
        name: value.detach().cpu().clone()
        for name, value in model.state_dict(keep_vars=True).items()
        if not (isinstance(value, torch.nn.Parameter) and not value.requires_grad)
    }
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        save_file(state, str(tmp))
    except Exception as err:  # an OSError, or safetensors' own error
        tmp.unlink(missing_ok=True)
        if is_disk_full(err):
            raise disk_full(path, sum(t.numel() * t.element_size() for t in state.values())) from err
        raise
    tmp.replace(path)


def load_weights(model: torch.nn.Module, path: Path) -> None:
    missing, unexpected = model.load_state_dict(load_file(str(path)), strict=False)
    # Every name of a shared parameter: adapters ties a second name to the word embeddings (prompt tuning's).
    named = model.named_parameters(remove_duplicate=False)
    frozen = {name for name, param in named if not param.requires_grad}
    if unexpected or set(missing) - frozen:
        raise RuntimeError(f"{path} does not match the model: missing {missing}, unexpected {unexpected}")


def _optimizer_to_files(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, param_state in state["state"].items():
        for name, value in param_state.items():
            if torch.is_tensor(value):
                tensors[f"{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(index), {})[name] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _optimizer_from_files(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    for index, values in meta["scalars"].items():
        state.setdefault(int(index), {}).update(values)
    return {"state": state, "param_groups": meta["param_groups"]}


def _rng_state() -> dict[str, torch.Tensor]:
    states = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            states[f"cuda{i}"] = s
    return states


def save_checkpoint(
    workdir: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    loop_state: dict[str, Any],
) -> None:
    step = loop_state["step"]
    target = workdir / f"checkpoint-{step}-{loop_state['epoch']}"
    try:
        _write_checkpoint(target, model, optimizer, scheduler, loop_state)
    except DiskFull as err:
        shutil.rmtree(target, ignore_errors=True)
        raise disk_full(target, _checkpoint_bytes(model, optimizer)) from err
    except Exception as err:  # an OSError, or safetensors' own error
        if not is_disk_full(err):
            raise
        shutil.rmtree(target, ignore_errors=True)  # the space back; ``latest`` still names the previous one
        raise disk_full(target, _checkpoint_bytes(model, optimizer)) from err
    atomic_write_text(workdir / LATEST, target.name)
    for old in workdir.glob("checkpoint-*"):
        if old != target:
            shutil.rmtree(old, ignore_errors=True)
    best = (loop_state.get("best") or {}).get("weights")
    for stale in workdir.glob("best-epoch*.safetensors"):
        if stale.name != best:
            stale.unlink(missing_ok=True)


def _checkpoint_bytes(model: torch.nn.Module, optimizer: torch.optim.Optimizer) -> int:
    """About what a checkpoint takes on disk: the model's tensors and the optimizer's."""
    tensors = [*model.state_dict().values()]
    tensors += [v for state in optimizer.state.values() for v in state.values() if isinstance(v, torch.Tensor)]
    return sum(t.numel() * t.element_size() for t in tensors)


def _write_checkpoint(
    target: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, loop_state: dict[str, Any]
) -> None:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    save_weights(model, target / "model.safetensors")
    tensors, meta = _optimizer_to_files(optimizer)
    save_file(tensors, str(target / "optimizer.safetensors"))
    atomic_write_json(target / "optimizer.json", meta)
    atomic_write_json(target / "scheduler.json", {k: v for k, v in scheduler.state_dict().items() if k != "lr_lambdas"})
    save_file(_rng_state(), str(target / "rng.safetensors"))
    sums = {path.name: file_checksum(path) for path in sorted(target.iterdir()) if path.is_file()}
    atomic_write_json(target / CHECKPOINT_SUMS, sums)
    atomic_write_json(target / "state.json", loop_state)


def checkpoint_damage(path: Path) -> list[str]:
    """What is wrong with a complete checkpoint's files (size or SHA-256 not as written, or missing); empty when
    intact or written before checksums were recorded."""
    sums = path / CHECKPOINT_SUMS
    if not sums.is_file():
        return []
    problems = []
    for name, written in read_json(sums).items():
        file = path / name
        if not file.is_file():
            problems.append(f"{name}: missing")
        elif file_checksum(file) != written:
            problems.append(f"{name}: not as written (size or SHA-256)")
    return problems


def latest_checkpoint(workdir: Path) -> Path | None:
    """The checkpoint to resume from: the one ``latest`` names, if complete and intact. A damaged one (only the
    latest is kept) is never loaded: training starts over, with a warning naming what is wrong."""
    pointer = workdir / LATEST
    if not pointer.exists():
        return None
    path = workdir / pointer.read_text().strip()
    if not (path / "state.json").exists():
        return None
    problems = checkpoint_damage(path)
    if problems:
        logger.warning("%s is damaged (%s): not loaded; this phase trains from its start", path, "; ".join(problems))
        return None
    return path


def load_checkpoint(
    path: Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any
) -> dict[str, Any]:
    load_weights(model, path / "model.safetensors")
    optimizer.load_state_dict(
        _optimizer_from_files(load_file(str(path / "optimizer.safetensors")), read_json(path / "optimizer.json"))
    )
    scheduler_state = read_json(path / "scheduler.json")
    scheduler.load_state_dict({**scheduler.state_dict(), **scheduler_state})
    rng = load_file(str(path / "rng.safetensors"))
    torch.set_rng_state(rng["torch"])
    cuda = [rng[k] for k in sorted(rng) if k.startswith("cuda")]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    return read_json(path / "state.json")
