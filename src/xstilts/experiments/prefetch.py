"""``xstilts prefetch``: download everything an experiment reads from the hub (every dataset split in full, and the
model snapshot) into the caches, on a machine with network (a cluster's login node), so that the same experiment
then runs with ``HF_HUB_OFFLINE=1`` where there is none. ``export`` also writes the data in the official local
layouts (``xstilts.tasks.export``), for machines that do not share the hub cache.

Hub datasets are cached by ``datasets`` (script-free repos) or as the hub's parquet export in the hub cache
(script repos, ``xstilts.hub``); both load offline. Streamed text (MLM's Wikipedia) is never cached: it is read
as the run will read it (its ``max_train_examples`` sample) and, with ``export``, written as ``LANG.txt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xstilts.data.sources import DataSource
from xstilts.errors import XstiltsError
from xstilts.experiments.datacheck import describe_source, example_count
from xstilts.experiments.plan import build_plan
from xstilts.experiments.run import data_requirements
from xstilts.experiments.spec import ExperimentSpec
from xstilts.tasks.export import EXPORTERS, export_examples
from xstilts.tasks.registry import get_task

# Weights of other frameworks that transformers never reads for a PyTorch run.
MODEL_IGNORE = ["*.h5", "*.msgpack", "*.onnx", "onnx/*", "*.ot", "*.tflite", "*.gguf", "openvino/*", "coreml/*"]


@dataclass(frozen=True)
class Prefetched:
    task: str
    split: str
    language: str
    source: str
    count: int
    exported: str | None  # the task's local directory under the export folder
    note: str = ""


def fetch_model(name: str, revision: str | None) -> str:
    """The model's snapshot in the hub cache (a local directory is left as it is)."""
    import huggingface_hub

    if Path(name).expanduser().is_dir():
        return f"local {name}"
    try:
        return huggingface_hub.snapshot_download(name, revision=revision, ignore_patterns=MODEL_IGNORE)
    except Exception as err:  # huggingface_hub raises many types (HTTPError, RepositoryNotFoundError, ...)
        raise XstiltsError(f"cannot download model {name!r}: {type(err).__name__}: {err}") from err


def _limit(spec: ExperimentSpec, task: str) -> int | None:
    """Only streamed corpora are read as the run reads them; anything else is fetched whole."""
    if get_task(task).kind.name != "masked_lm":
        return None
    value = spec.settings_for(task).data_part().get("max_train_examples")
    return value if isinstance(value, int) else None


def prefetch(spec: ExperimentSpec, export: Path | None = None) -> list[Prefetched]:
    """Reads every hub split the plan needs (caching it) and, with ``export``, writes it under ``export/<task>``."""
    fetched = []
    for task, split, language, source_json in sorted(data_requirements(build_plan(spec))):
        source = DataSource.model_validate_json(source_json)
        where = describe_source(task, source)
        if source.source == "local":
            fetched.append(Prefetched(task, split, language, where, 0, None, "local: nothing to fetch"))
            continue
        examples = get_task(task).read_sample(split, language, source, _limit(spec, task))  # type: ignore[arg-type]
        streamed = get_task(task).kind.name == "masked_lm"
        exported, note = None, "streamed, not cached: use --export for an offline copy" if streamed else ""
        if export is not None:
            if task in EXPORTERS:
                exported = str(export_examples(task, export / task, split, language, examples))
            else:
                note = "no local layout written (cached for offline runs)"
        fetched.append(Prefetched(task, split, language, where, example_count(examples), exported, note))
    return fetched


def local_sources_yaml(fetched: list[Prefetched]) -> str:
    """The experiment lines that read the exported copies: ``tasks: {<task>: {data: {source: local, path}}}``."""
    paths = sorted({(f.task, f.exported) for f in fetched if f.exported})
    lines = ["tasks:", *(f"  {task}: {{data: {{source: local, path: {path}}}}}" for task, path in paths)]
    return "\n".join(lines) + "\n" if paths else ""
