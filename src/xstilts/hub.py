"""Loading a split from the Hugging Face hub, with errors that say whether we are offline or it is missing."""

from __future__ import annotations

import os
from typing import Any

from xstilts.errors import XstiltsError


def hub_offline() -> bool:
    return any(
        os.environ.get(name, "").lower() in {"1", "true", "yes"} for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def load_hub_split(dataset: str, config: str | None, split: str, revision: str | None) -> Any:
    """Returns a ``datasets.Dataset``; any failure becomes one clear error naming the dataset, config and split."""
    import datasets

    try:
        return datasets.load_dataset(dataset, config, split=split, revision=revision)
    except Exception as err:  # datasets raises many types (ConnectionError, FileNotFoundError, ValueError...)
        where = f"{dataset}" + (f" (config {config!r})" if config else "") + f", split {split!r}"
        if hub_offline():
            hint = "the hub is unreachable (HF_HUB_OFFLINE is set); use a local copy: data: {source: local, path: ...}"
        else:
            hint = f"{type(err).__name__}: {err}"
        raise XstiltsError(f"cannot load hub dataset {where}: {hint}") from err
