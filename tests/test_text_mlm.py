"""Plain-text corpora and masked language modelling: reading with clear errors, fixed-length chunks, BERT's
15% / 80-10-10 masking (proportions and determinism), padded MLM labels, and the tied MLM head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from tests.builders import LANGUAGE_WORDS
from xstilts.data.batching import collate
from xstilts.data.examples import TextExample
from xstilts.data.features import IGNORE_INDEX
from xstilts.data.sources import DataSource
from xstilts.data.text import read_text_corpus, split_hub_dataset
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.kinds.masked_lm import LABELS, chunk_texts, featurize_masked_lm, mask_tokens
from xstilts.models.multitask import MultiTaskModel
from xstilts.tasks.registry import get_task


def _corpus(directory: Path, language: str, lines: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    words = LANGUAGE_WORDS[language]
    directory.mkdir(parents=True, exist_ok=True)
    text = "\n".join(" ".join(rng.choice(words, rng.integers(3, 12))) for _ in range(lines))
    (directory / f"{language}.txt").write_text(text + "\n\n", encoding="utf-8")
    return directory


def test_reads_one_document_per_non_blank_line_with_a_limit(tmp_path: Path) -> None:
    _corpus(tmp_path, "de", 30)
    source = DataSource(source="local", path=str(tmp_path))
    assert len(read_text_corpus(source, "de", None)) == 30
    assert len(read_text_corpus(source, "de", 7)) == 7
    examples = get_task("mlm").read("train", "de", source)
    assert isinstance(examples[0], TextExample) and examples[0].guid == "mlm-de-0"


def test_text_errors_name_the_file_and_line(tmp_path: Path) -> None:
    source = DataSource(source="local", path=str(tmp_path))
    with pytest.raises(XstiltsError, match=r"sw\.txt: file not found \(one document or sentence per line\)"):
        read_text_corpus(source, "sw", None)
    (tmp_path / "sw.txt").write_bytes(b"mti jua\n\xff\xfe broken\n")
    with pytest.raises(DataFormatError, match=r"sw\.txt:2: not UTF-8 text"):
        read_text_corpus(source, "sw", None)
    (tmp_path / "fr.txt").write_text("\n  \n")
    with pytest.raises(DataFormatError, match=r"fr\.txt: text: the file has no non-blank lines"):
        read_text_corpus(source, "fr", None)
    with pytest.raises(XstiltsError, match="needs a 'path'"):
        read_text_corpus(DataSource(source="local"), "fr", None)


def test_hub_dataset_names_carry_a_config_template() -> None:
    assert split_hub_dataset("wikimedia/wikipedia:20231101.{language}", "de") == ("wikimedia/wikipedia", "20231101.de")
    assert split_hub_dataset("statmt/cc100", "sw") == ("statmt/cc100", "sw")


def test_chunks_are_fixed_length_with_special_tokens(tiny_model: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    texts = ["cat dog house", "tree river sun book", "road"]
    blocks = chunk_texts(texts, tokenizer, max_length=5)
    assert [len(b) for b in blocks] == [5, 5, 4]  # 8 words in blocks of 3 between <s> and </s>
    assert all(b[0] == tokenizer.cls_token_id and b[-1] == tokenizer.sep_token_id for b in blocks)
    inner = [i for b in blocks for i in b[1:-1]]
    assert inner == tokenizer(" ".join(texts), add_special_tokens=False)["input_ids"]
    with pytest.raises(XstiltsError, match="no room"):
        chunk_texts(texts, tokenizer, max_length=2)


def test_masking_proportions_and_determinism(tiny_model: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    vocab = [i for i in range(len(tokenizer)) if i not in tokenizer.all_special_ids]
    rng = np.random.default_rng(0)
    blocks = [[0, *rng.choice(vocab, 126).tolist(), 2] for _ in range(200)]
    inputs, labels = mask_tokens(blocks, tokenizer, seed=11)
    assert (inputs, labels) == mask_tokens(blocks, tokenizer, seed=11)
    assert inputs != mask_tokens(blocks, tokenizer, seed=12)[0]
    original, masked, target = np.array(blocks), np.array(inputs), np.array(labels)
    chosen = target != IGNORE_INDEX
    assert not chosen[:, 0].any() and not chosen[:, -1].any()  # special tokens are never masked
    assert (target[chosen] == original[chosen]).all()
    assert abs(chosen.sum() / (200 * 126) - 0.15) < 0.01  # 25,200 candidates: ±0.01 is > 4 standard errors
    to_mask = (masked[chosen] == tokenizer.mask_token_id).mean()
    kept = (masked[chosen] == original[chosen]).mean()
    assert abs(to_mask - 0.8) < 0.03 and 0.08 < kept < 0.14  # kept: 10% plus random draws of the same token
    assert (masked[~chosen] == original[~chosen]).all()


def test_featurizer_and_collate_pad_labels_with_the_ignore_index(tiny_model: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    examples = [TextExample(f"mlm-en-{i}", "cat dog house tree river sun book road bird city") for i in range(20)]
    features = featurize_masked_lm(examples, tokenizer, max_length=16)
    assert features == featurize_masked_lm(examples, tokenizer, max_length=16)
    assert set(features.sequences) == {"input_ids", LABELS} and not features.scalars
    assert max(len(row) for row in features.sequences["input_ids"]) == 16
    last = len(features) - 1
    batch = collate(features, [0, last], tokenizer.pad_token_id, with_targets=True)
    assert batch[LABELS].shape == batch["input_ids"].shape
    width = len(features.sequences["input_ids"][last])
    assert (batch[LABELS][1, width:] == IGNORE_INDEX).all()


def test_mlm_head_is_tied_to_the_input_embeddings_and_learns(tiny_model: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    encoder = AutoModel.from_pretrained(tiny_model)
    model = MultiTaskModel(encoder, {"mlm": {"kind": "masked_lm", "labels": [], "num_labels": 0, "options": {}}})
    head = model.heads["mlm"]
    assert head.bias.shape == (len(tokenizer),)
    assert all(p is not encoder.get_input_embeddings().weight for p in model.heads.parameters())
    examples = [TextExample(f"mlm-en-{i}", " ".join(LANGUAGE_WORDS["en"])) for i in range(8)]
    features = featurize_masked_lm(examples, tokenizer, max_length=12)
    batch = collate(features, list(range(len(features))), tokenizer.pad_token_id, with_targets=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = model.loss("mlm", model("mlm", batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] - 0.5
    assert encoder.get_input_embeddings().weight.grad is not None  # the decoder's gradient reaches the embeddings
