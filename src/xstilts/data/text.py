"""Plain-text corpora for masked language modelling: ``read_text_corpus(source, language, limit)`` gives the
documents of one language, one per non-blank line, from a local ``<dir>/<language>.txt`` or from a hub text
dataset. Used by the ``mlm`` pseudo-task and by language adapters; chunking and masking are the ``masked_lm``
kind's (``xstilts.kinds.masked_lm``).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.files import read_nonblank_lines, require_file
from xstilts.data.sources import DataSource, resolve_local
from xstilts.errors import DataFormatError, XstiltsError

HUB_TEXT_COLUMN = "text"
# A limited read of a hub corpus is a deterministic sample, not the first N documents (Wikipedia's first articles
# are alphabetical, and English has about 6.4M of them): the stream's shards are read in an order fixed by this seed
# and documents are drawn through a shuffle buffer of SAMPLE_BUFFER (``datasets.IterableDataset.shuffle``), so only
# about ``limit + SAMPLE_BUFFER`` documents are ever downloaded.
SAMPLE_SEED = 0
SAMPLE_BUFFER = 10_000


def text_file(root: Path, language: str) -> Path:
    return root / f"{language}.txt"


def read_text_file(path: Path, limit: int | None = None) -> list[str]:
    """Non-blank lines of a UTF-8 file, stripped; at most ``limit`` of them."""
    require_file(path, "one document or sentence per line")
    texts = [line for _, line in read_nonblank_lines(path, limit)]
    if not texts:
        raise DataFormatError(path, "text: the file has no non-blank lines")
    return texts


def split_hub_dataset(spec: str, language: str) -> tuple[str, str | None]:
    """``"wikimedia/wikipedia:20231101.{language}"`` → ("wikimedia/wikipedia", "20231101.de"): the part after
    the colon is the dataset's config, with ``{language}`` replaced; without a colon the config is the language."""
    dataset, _, config = spec.partition(":")
    return dataset, (config.replace("{language}", language) if config else language)


def read_hub_text(spec: str, revision: str | None, language: str, limit: int | None) -> list[str]:
    """The ``text`` column of a hub dataset's train split, streamed; with a ``limit``, a deterministic sample of that
    many documents (``SAMPLE_SEED``), reading only what it keeps and the shuffle buffer."""
    import datasets

    from xstilts.hub import hub_offline

    dataset, config = split_hub_dataset(spec, language)
    try:
        rows = datasets.load_dataset(dataset, config, split="train", revision=revision, streaming=True)
        if limit is not None:
            rows = rows.shuffle(seed=SAMPLE_SEED, buffer_size=SAMPLE_BUFFER)
        texts: list[str] = []
        for row in rows:
            line = " ".join(str(row[HUB_TEXT_COLUMN]).split())
            if line:
                texts.append(line)
                if limit is not None and len(texts) >= limit:
                    break
    except Exception as err:  # datasets raises many types (ConnectionError, FileNotFoundError, KeyError...)
        hint = "the hub is unreachable (HF_HUB_OFFLINE is set); use local files" if hub_offline() else repr(err)
        raise XstiltsError(f"cannot read text from hub dataset {dataset} (config {config!r}): {hint}") from err
    if not texts:
        raise XstiltsError(f"hub dataset {dataset} (config {config!r}) has no text in its train split")
    return texts


def read_text_corpus(source: DataSource, language: str, limit: int | None) -> list[str]:
    """One language's documents: ``<path>/<language>.txt`` for a local source, else the hub text dataset named by
    ``source.dataset`` (``id`` or ``id:config-template``, see ``split_hub_dataset``)."""
    if source.source == "local":
        if not source.path:
            raise XstiltsError("a local text corpus needs a 'path': a directory with one LANGUAGE.txt per language")
        return read_text_file(text_file(resolve_local(source.path), language), limit)
    if not source.dataset:
        raise XstiltsError("a hub text corpus needs a 'dataset', e.g. 'wikimedia/wikipedia:20231101.{language}'")
    return read_hub_text(source.dataset, source.revision, language, limit)
