"""Loading an encoder and its fast tokenizer from a hub id or a local directory."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xstilts.errors import ModelLoadError
from xstilts.hub import hub_offline


def _looks_local(name: str) -> bool:
    """Hub ids are ``name`` or ``owner/name``; anything else is meant as a directory."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1


@contextmanager
def _explained(name_or_path: str) -> Iterator[str]:
    """Resolves the source and turns loading failures into one message: missing directory, offline, or hub."""
    local = Path(name_or_path).expanduser()
    if _looks_local(name_or_path) and not local.exists():
        raise ModelLoadError(f"model directory {name_or_path} does not exist")
    try:
        yield str(local) if local.exists() else name_or_path
    except Exception as err:  # transformers raises OSError, ValueError, ImportError, KeyError... for bad models
        if local.exists():
            raise ModelLoadError(f"cannot load a model from directory {local}: {err}") from err
        if hub_offline():
            raise ModelLoadError(
                f"cannot load model {name_or_path!r}: offline (HF_HUB_OFFLINE is set) and it is not in the local"
                " hub cache; download it once online, or give a local directory"
            ) from err
        raise ModelLoadError(f"cannot load model {name_or_path!r} from the hub: {err}") from err


def model_fingerprint(name_or_path: str, revision: str | None = None) -> str:
    """What identifies the starting weights in phase ids: for a hub id the id and revision; for a local
    directory a hash of its files' contents, so the same model gets the same phase ids wherever it lies and a
    retrained model in the same place gets new ones."""
    local = Path(name_or_path).expanduser()
    if not local.is_dir():
        return f"hub:{name_or_path}@{revision or 'main'}"
    digest = hashlib.sha256()
    for path in sorted(p for p in local.iterdir() if p.is_file() and not p.name.startswith(".")):
        digest.update(f"{path.name}\0{path.stat().st_size}\0".encode())
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 23):
                digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"


def check_model(name_or_path: str, revision: str | None = None, trust_remote_code: bool = False) -> None:
    """Fails early, before anything is written: the config and a fast tokenizer must load (weights are not
    read here; they are large)."""
    from transformers import AutoConfig

    options: dict[str, Any] = {"revision": revision, "trust_remote_code": trust_remote_code}
    with _explained(name_or_path) as source:
        AutoConfig.from_pretrained(source, **options)
        _load_tokenizer(source, name_or_path, options)


def _load_tokenizer(source: str, name_or_path: str, options: dict[str, Any]) -> Any:
    from transformers import AutoTokenizer

    # transformers 4.57.6 takes any local tokenizer saved by 4.57.3+ for a Mistral one and warns; saying
    # False keeps the tokenizer exactly as saved and silences that false alarm.
    tokenizer = AutoTokenizer.from_pretrained(source, use_fast=True, fix_mistral_regex=False, **options)
    if not getattr(tokenizer, "is_fast", False):
        raise ModelLoadError(f"model {name_or_path!r} has no fast tokenizer; xstilts needs offsets from one")
    return tokenizer


def _load_model(source: str, options: dict[str, Any]) -> Any:
    """SDPA attention and no pooler where the architecture allows (xstilts never uses the pooler, and an
    unused, randomly initialised one only adds noise to artefacts and to DDP)."""
    from transformers import AutoModel

    attempts = ({"attn_implementation": "sdpa", "add_pooling_layer": False}, {"attn_implementation": "sdpa"}, {})
    for extra in attempts[:-1]:
        try:
            return AutoModel.from_pretrained(source, **extra, **options)
        except (TypeError, ValueError, ImportError):
            continue
    return AutoModel.from_pretrained(source, **options)


def load_encoder(name_or_path: str, revision: str | None = None, trust_remote_code: bool = False) -> tuple[Any, Any]:
    """Returns (encoder, tokenizer)."""
    options: dict[str, Any] = {"revision": revision, "trust_remote_code": trust_remote_code}
    with _explained(name_or_path) as source:
        tokenizer = _load_tokenizer(source, name_or_path, options)
        model = _load_model(source, options)
    return model, tokenizer
