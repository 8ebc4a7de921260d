"""Token tagging features: first-subword labels, and long sentences split into word chunks, never truncated.

The rules are XTREME's (``utils_preprocess.py``: ``udpos_tokenize_preprocess`` / ``panx_tokenize_preprocess``,
and ``third_party/utils_tag.py``):

* each word is tokenized on its own (``is_split_into_words``); its first subword carries the word's tag, the
  other subwords and the special tokens carry ``IGNORE`` (-100, cross-entropy's ignore index);
* a word with no subwords (e.g. a lone zero-width character), or with more subwords than fit in one sequence,
  becomes the unknown token, so every word keeps exactly one tagged position;
* a sentence whose subwords do not fit in ``max_length`` (special tokens included) is cut greedily into
  consecutive word chunks that each fit: a new chunk starts at the word that would overflow. XTREME reserves
  room for the special tokens of its models by name; here the tokenizer says how many it adds.

Per feature, ``word_index`` gives each first subword's word position in the sentence (-1 elsewhere), which is
how predictions are put back together into one tag per word of the whole sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xstilts.data.examples import TaggingExample
from xstilts.data.features import Features
from xstilts.data.featurize import uses_token_types

IGNORE = -100


def _special_template(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special token ids the tokenizer puts before and after a single sentence (``<s>`` … ``</s>``)."""
    probe = tokenizer([[tokenizer.unk_token]], is_split_into_words=True, add_special_tokens=True)
    ids, word_ids = probe["input_ids"][0], probe.word_ids(0)
    content = [i for i, w in enumerate(word_ids) if w is not None]
    if not content:
        raise ValueError(f"tokenizer {type(tokenizer).__name__} gives no token for its own unknown token")
    return ids[: content[0]], ids[content[-1] + 1 :]


def word_pieces(examples: Sequence[TaggingExample], tokenizer: Any, budget: int) -> list[list[list[int]]]:
    """Subword ids of every word of every sentence; empty or over-long words become ``[unk]`` (XTREME's rule)."""
    encoded = tokenizer([list(e.words) for e in examples], is_split_into_words=True, add_special_tokens=False)
    unk = tokenizer.unk_token_id
    sentences = []
    for s, example in enumerate(examples):
        pieces: list[list[int]] = [[] for _ in example.words]
        for token, word in zip(encoded["input_ids"][s], encoded.word_ids(s), strict=True):
            if word is not None:
                pieces[word].append(token)
        sentences.append([ids if 0 < len(ids) <= budget else [unk] for ids in pieces])
    return sentences


def chunk_words(lengths: Sequence[int], budget: int) -> list[tuple[int, int]]:
    """Greedy word chunks ``[start, end)`` whose subword counts each sum to at most ``budget``."""
    chunks: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, n in enumerate(lengths):
        if used + n > budget and i > start:
            chunks.append((start, i))
            start, used = i, 0
        used += n
    if lengths:
        chunks.append((start, len(lengths)))
    return chunks


def featurize_tagging(
    examples: Sequence[TaggingExample], tokenizer: Any, labels: Sequence[str], max_length: int, training: bool
) -> Features:
    """Features of every chunk of every sentence; gold tags outside ``labels`` are ignored (never at training)."""
    prefix, suffix = _special_template(tokenizer)
    budget = max_length - len(prefix) - len(suffix)
    if budget < 1:
        raise ValueError(f"max_length {max_length} leaves no room for words after the special tokens")
    index = {label: i for i, label in enumerate(labels)}
    features = Features(sequences={"input_ids": [], "tag_ids": [], "word_index": []})
    if uses_token_types(tokenizer):
        features.sequences["token_type_ids"] = []
    features.scalars["example_index"] = []
    for example_index, (example, pieces) in enumerate(
        zip(examples, word_pieces(examples, tokenizer, budget), strict=True)
    ):
        tags = example.tags
        if training and tags is None:
            raise ValueError(f"example {example.guid} has no tags to train on")
        for start, end in chunk_words([len(p) for p in pieces], budget):
            input_ids, tag_ids, word_index = list(prefix), [IGNORE] * len(prefix), [-1] * len(prefix)
            for w in range(start, end):
                input_ids.extend(pieces[w])
                tag = index.get(tags[w], IGNORE) if tags is not None else IGNORE
                if training and tag == IGNORE:
                    raise ValueError(f"example {example.guid}: tag {tags[w]!r} is not in the head's tags")
                tag_ids.extend([tag] + [IGNORE] * (len(pieces[w]) - 1))
                word_index.extend([w] + [-1] * (len(pieces[w]) - 1))
            input_ids.extend(suffix)
            tag_ids.extend([IGNORE] * len(suffix))
            word_index.extend([-1] * len(suffix))
            features.sequences["input_ids"].append(input_ids)
            features.sequences["tag_ids"].append(tag_ids)
            features.sequences["word_index"].append(word_index)
            if "token_type_ids" in features.sequences:
                features.sequences["token_type_ids"].append([0] * len(input_ids))
            features.scalars["example_index"].append(example_index)
    return features
