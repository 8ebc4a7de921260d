"""Loading a split from the Hugging Face hub, with errors that say whether we are offline or it is missing.

``datasets`` 4.x no longer runs loading scripts: ``load_dataset`` on a repo that still holds its ``<name>.py``
raises ``RuntimeError: Dataset scripts are no longer supported, but found <name>.py``, even where the repo also
holds data files (datasets 4.8.5, ``datasets/load.py``, ``dataset_module_factory``). The hub keeps an automatic
parquet export of every dataset it could convert on the revision ``refs/convert/parquet``, laid out
``<config>/<split>/NNNN.parquet`` (``<config>/partial-<split>/`` when a split was too large to convert whole; seen on
e.g. huggingface.co/datasets/lighteval/siqa/tree/refs%2Fconvert%2Fparquet/default/train and
huggingface.co/datasets/google/xquad/commits/.../xquad.ro/validation). ``load_hub_split`` falls back to that export
when a repo is refused for its script, says so once per repo, and records what it read (``hub_reads``) so that the
phase can write it into its ``phase.json``.

The export is fetched with ``huggingface_hub.snapshot_download`` (only the config's split) and read with the
packaged ``parquet`` builder from the local snapshot, so a prefetched export also loads with ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from xstilts.errors import XstiltsError

SCRIPT_REFUSAL = "Dataset scripts are no longer supported"
PARQUET_EXPORT = "refs/convert/parquet"

log = logging.getLogger("xstilts.hub")


@dataclass(frozen=True)
class HubRead:
    """One split read from the hub other than as asked: the revision actually read and why."""

    dataset: str
    config: str | None
    split: str
    revision_asked: str | None
    revision_read: str  # the parquet export's commit
    reason: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_reads: list[HubRead] | None = None
_announced: set[str] = set()


@contextmanager
def recording_hub_reads() -> Iterator[list[HubRead]]:
    """Collects the fallback reads made inside the block (a phase wraps its data loading in it)."""
    global _reads
    previous, _reads = _reads, []
    try:
        yield _reads
    finally:
        _reads = previous


def hub_offline() -> bool:
    return any(
        os.environ.get(name, "").lower() in {"1", "true", "yes"} for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def _where(dataset: str, config: str | None, split: str) -> str:
    return f"{dataset}" + (f" (config {config!r})" if config else "") + f", split {split!r}"


def hub_error(dataset: str, config: str | None, split: str, err: Exception) -> XstiltsError:
    if hub_offline():
        hint = (
            "the hub is unreachable (HF_HUB_OFFLINE is set): run `xstilts prefetch` where the hub is reachable, or use"
            " a local copy: data: {source: local, path: ...}"
        )
    else:
        hint = f"{type(err).__name__}: {err}"
    return XstiltsError(f"cannot load hub dataset {_where(dataset, config, split)}: {hint}")


def is_script_refusal(err: BaseException) -> bool:
    return isinstance(err, RuntimeError) and SCRIPT_REFUSAL in str(err)


def load_hub_split(dataset: str, config: str | None, split: str, revision: str | None) -> Any:
    """Returns a ``datasets.Dataset``; a repo refused for its loading script is read from its parquet export; any
    other failure becomes one clear error naming the dataset, config and split."""
    import datasets

    try:
        return datasets.load_dataset(dataset, config, split=split, revision=revision)
    except Exception as err:  # datasets raises many types (ConnectionError, FileNotFoundError, ValueError...)
        if not is_script_refusal(err) and not hub_offline():
            raise hub_error(dataset, config, split, err) from err
        failure = err
    try:
        # Offline, a script repo's export may be in the hub cache (``xstilts prefetch`` puts it there).
        return _load_parquet_export(dataset, config, split, revision, str(failure))
    except Exception as err:
        if hub_offline() and not is_script_refusal(failure):
            raise hub_error(dataset, config, split, failure) from failure
        if isinstance(err, XstiltsError):
            raise
        raise hub_error(dataset, config, split, err) from err


def parquet_export_snapshot(dataset: str, config: str | None, split: str) -> tuple[Path, str]:
    """Downloads (or finds in the hub cache) the parquet export's files of one split; returns the snapshot
    directory and its commit."""
    import huggingface_hub

    folder = config or "*"
    patterns = [f"{folder}/{split}/*.parquet", f"{folder}/partial-{split}/*.parquet"]
    path = Path(
        huggingface_hub.snapshot_download(
            dataset, repo_type="dataset", revision=PARQUET_EXPORT, allow_patterns=patterns
        )
    )
    return path, path.name  # a snapshot directory is named by its commit


def export_files(snapshot: Path, dataset: str, config: str | None, split: str) -> list[Path]:
    """The parquet files of one (config, split) of an export snapshot; with no config, the export's only one (or
    ``default``)."""
    if config is None:
        configs = sorted(p.name for p in snapshot.iterdir() if p.is_dir() and not p.name.startswith("."))
        if len(configs) != 1 and "default" not in configs:
            raise XstiltsError(
                f"hub dataset {dataset}: its parquet export has configs {configs}; name one in the task's reader"
            )
        config = configs[0] if len(configs) == 1 else "default"
    files = sorted((snapshot / config / split).glob("*.parquet")) or sorted(
        (snapshot / config / f"partial-{split}").glob("*.parquet")
    )
    if not files:
        raise XstiltsError(
            f"hub dataset {dataset} has a loading script, which datasets 4.x no longer runs, and its parquet export"
            f" ({PARQUET_EXPORT}) has no {config}/{split}/*.parquet"
        )
    return files


def _load_parquet_export(dataset: str, config: str | None, split: str, revision: str | None, refusal: str) -> Any:
    import datasets

    snapshot, commit = parquet_export_snapshot(dataset, config, split)
    files = export_files(snapshot, dataset, config, split)
    if dataset not in _announced:
        _announced.add(dataset)
        pinned = f" (revision {revision!r} was asked; the export is of the repo's current main)" if revision else ""
        log.warning(
            "%s: %s; reading the hub's parquet export %s@%s instead%s",
            dataset,
            refusal,
            PARQUET_EXPORT,
            commit,
            pinned,
        )
    if _reads is not None:
        _reads.append(HubRead(dataset, config, split, revision, f"{PARQUET_EXPORT}@{commit}", refusal))
    return datasets.load_dataset("parquet", data_files={split: [str(f) for f in files]}, split=split)


def load_override_split(dataset: str, config: str | None, split: str, revision: str | None, layout: str) -> Any:
    """``load_hub_split`` for a ``dataset:`` override the task knows nothing about: it is read in the default
    repo's layout, and a failure says which layout that is."""
    try:
        return load_hub_split(dataset, config, split, revision)
    except XstiltsError as err:
        raise XstiltsError(f"{err}. A 'dataset:' override of this task must have {layout}") from err
