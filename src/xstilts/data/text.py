"""Plain-text corpora for masked language modelling: reading, chunking, and deterministic masking.

Used by the ``mlm`` pseudo-task (continued multilingual MLM mixed into an intermediate phase) and by anything
else that trains with MLM (e.g. language adapters). The public API, kept stable:

- ``read_text_corpus(source, language, limit)``: the documents of one language, one per non-blank line, from a
  local ``<dir>/<language>.txt`` or from a hub text dataset;
- ``chunk_texts(texts, tokenizer, max_length)``: the token stream cut into fixed-length blocks with the model's
  special tokens around each block (what ``run_mlm.py``'s ``group_texts`` does);
- ``mask_tokens(blocks, tokenizer, seed)``: BERT's masking (15% of the non-special tokens; of those 80% become
  the mask token, 10% a random token, 10% stay), drawn from a generator seeded by ``(seed, block index)``, so the
  same blocks always get the same masks (a resumed run sees exactly the batches the interrupted one would have);
- ``featurize_masked_lm``: all three as a featurizer (the ``masked_lm`` entry of ``data.loading.FEATURIZERS``).

Masking is static (decided once per block at featurization and cached), as in the original BERT data pipeline;
unmasked positions carry the label ``IGNORE_INDEX``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xstilts.data.examples import TextExample
from xstilts.data.features import Features
from xstilts.data.files import read_nonblank_lines, require_file
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.tasks.base import DataSource, resolve_local

MLM_PROBABILITY = 0.15  # BERT / XLM-R pretraining
MASK_FRACTION = 0.8  # of the selected tokens: replaced by the mask token
RANDOM_FRACTION = 0.1  # ... replaced by a random token (the remaining 10% keep their token)
IGNORE_INDEX = -100  # the label of positions that are not predicted (PyTorch's cross-entropy default)
LABELS = "mlm_labels"  # the per-token target sequence in Features
HUB_TEXT_COLUMN = "text"


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
    """The ``text`` column of a hub dataset's train split, streamed so that ``limit`` reads only what it keeps."""
    import datasets

    from xstilts.data.hub import hub_offline

    dataset, config = split_hub_dataset(spec, language)
    try:
        rows = datasets.load_dataset(dataset, config, split="train", revision=revision, streaming=True)
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


def _special_frame(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special tokens a model puts before and after a single sequence (``<s>``…``</s>``, ``[CLS]``…``[SEP]``)."""
    inner = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a")["input_ids"]
    for start in range(len(full) - len(inner) + 1):
        if full[start : start + len(inner)] == inner:
            return full[:start], full[start + len(inner) :]
    raise XstiltsError(f"cannot find where {type(tokenizer).__name__} puts its special tokens")


def chunk_texts(texts: Sequence[str], tokenizer: Any, max_length: int) -> list[list[int]]:
    """Blocks of exactly ``max_length`` tokens (the last may be shorter), special tokens included."""
    prefix, suffix = _special_frame(tokenizer)
    room = max_length - len(prefix) - len(suffix)
    if room < 1:
        raise XstiltsError(f"max_length {max_length} leaves no room for text between the special tokens")
    stream = [i for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"] for i in ids]
    return [prefix + stream[i : i + room] + suffix for i in range(0, len(stream), room)]


def mask_tokens(
    blocks: Sequence[Sequence[int]], tokenizer: Any, seed: int, probability: float = MLM_PROBABILITY
) -> tuple[list[list[int]], list[list[int]]]:
    """(masked input ids, labels) for each block; deterministic in (blocks, seed). Special tokens are never
    selected; labels hold the original token where one was selected, ``IGNORE_INDEX`` elsewhere."""
    if tokenizer.mask_token_id is None:
        raise XstiltsError(f"{type(tokenizer).__name__} has no mask token, so it cannot be trained with MLM")
    special = set(tokenizer.all_special_ids)
    vocab = len(tokenizer)
    inputs, labels = [], []
    for index, block in enumerate(blocks):
        rng = np.random.default_rng([seed, index])
        ids = np.asarray(block, dtype=np.int64)
        candidates = ~np.isin(ids, list(special))
        chosen = (rng.random(len(ids)) < probability) & candidates
        draw = rng.random(len(ids))
        masked = ids.copy()
        masked[chosen & (draw < MASK_FRACTION)] = tokenizer.mask_token_id
        randomised = chosen & (draw >= MASK_FRACTION) & (draw < MASK_FRACTION + RANDOM_FRACTION)
        masked[randomised] = rng.integers(0, vocab, size=int(randomised.sum()))
        inputs.append(masked.tolist())
        labels.append(np.where(chosen, ids, IGNORE_INDEX).tolist())
    return inputs, labels


def featurize_masked_lm(examples: Sequence[TextExample], tokenizer: Any, max_length: int) -> Features:
    """Chunks and masks a run of documents; the masking seed comes from the first document's id, so chunks of
    one corpus featurized separately (``data.loading`` tokenizes in chunks) get different masks."""
    blocks = chunk_texts([e.text for e in examples], tokenizer, max_length) if examples else []
    seed = zlib.crc32(examples[0].guid.encode()) if examples else 0
    inputs, labels = mask_tokens(blocks, tokenizer, seed)
    return Features(sequences={"input_ids": inputs, LABELS: labels})
