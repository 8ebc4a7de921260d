"""Tagging features and predictions: first-subword labels, long sentences split into word chunks (XTREME's rule)
and put back together, the head's loss, decoding, the submission file and the metrics wired to the tasks."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.head_builders import FixedHidden
from xstilts.data.batching import collate
from xstilts.data.examples import TaggingExample
from xstilts.data.features import Features
from xstilts.kinds.token_tagging import (
    IGNORE_INDEX,
    TOKEN_TAGGING,
    TaggingHead,
    chunk_words,
    decode_tagging,
    featurize_tagging,
    tag_lines,
)
from xstilts.metrics import METRICS
from xstilts.models.heads import HEAD_TYPES
from xstilts.tasks.registry import get_task

CHARS = "abcdefghijklmnopqrstuvwxyz."
TAGS = ("NOUN", "VERB", "DET", "PUNCT")


@pytest.fixture(scope="module")
def char_tokenizer():
    """A BERT-style WordPiece tokenizer with one piece per character: 'cat' is c ##a ##t, 'é' is [UNK]."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *CHARS, *(f"##{c}" for c in CHARS)]
    backend = Tokenizer(models.WordPiece({p: i for i, p in enumerate(pieces)}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    backend.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_input_names=["input_ids", "token_type_ids", "attention_mask"],
    )


def sentence(words: list[str], tags: list[str] | None = None, guid: str = "s") -> TaggingExample:
    return TaggingExample(guid, tuple(words), tuple(tags) if tags is not None else None)


def test_first_subword_labels_match_xtreme_word_by_word_tokenization(char_tokenizer):
    example = sentence(["the", "cat", "sat", "."], ["DET", "NOUN", "VERB", "PUNCT"])
    features = featurize_tagging([example], char_tokenizer, TAGS, 64, training=True)
    # XTREME's convert_examples_to_features: tokenize each word, label its first piece, pad the rest with -100.
    tokens, expected = ["[CLS]"], [IGNORE_INDEX]
    for word, tag in zip(example.words, example.tags, strict=True):
        pieces = char_tokenizer.tokenize(word)
        tokens += pieces
        expected += [TAGS.index(tag)] + [IGNORE_INDEX] * (len(pieces) - 1)
    tokens.append("[SEP]")
    expected.append(IGNORE_INDEX)
    assert features.sequences["input_ids"] == [char_tokenizer.convert_tokens_to_ids(tokens)]
    assert features.sequences["tag_ids"] == [expected]
    assert features.sequences["word_index"] == [[-1, 0, -1, -1, 1, -1, -1, 2, -1, -1, 3, -1]]
    assert features.sequences["token_type_ids"] == [[0] * len(tokens)]
    assert features.scalars["example_index"] == [0]


def test_empty_and_overlong_words_become_one_unknown_token(char_tokenizer):
    unk = char_tokenizer.unk_token_id
    example = sentence(["ab", " ", "abcdefghij", "é"], ["NOUN", "VERB", "DET", "PUNCT"])
    features = featurize_tagging([example], char_tokenizer, TAGS, 8, training=True)  # room for 6 pieces
    ids = [i for row in features.sequences["input_ids"] for i in row]
    assert ids.count(unk) == 3  # the blank word, the 10-piece word (> 6) and the unknown character
    words = [w for row in features.sequences["word_index"] for w in row if w >= 0]
    assert words == [0, 1, 2, 3]


def test_chunk_words_is_greedy_like_xtreme():
    # A new chunk starts at the word that would overflow the budget.
    assert chunk_words([2, 3, 1, 4, 2, 1], 6) == [(0, 3), (3, 5), (5, 6)]
    assert chunk_words([6, 6], 6) == [(0, 1), (1, 2)]
    assert chunk_words([1] * 5, 100) == [(0, 5)]
    assert chunk_words([], 6) == []


def test_long_sentences_split_and_reassemble_every_word_once_in_order(char_tokenizer):
    rng = random.Random(7)
    examples = []
    for n in range(40):
        words = ["".join(rng.choice(CHARS[:-1]) for _ in range(rng.randint(1, 9))) for _ in range(rng.randint(1, 30))]
        examples.append(sentence(words, [rng.choice(TAGS) for _ in words], guid=f"s{n}"))
    max_length = 16
    features = featurize_tagging(examples, char_tokenizer, TAGS, max_length, training=True)
    assert len(features) > len(examples)  # some sentences did not fit in one feature
    per_example: dict[int, list[int]] = {}
    for f, e in enumerate(features.scalars["example_index"]):
        assert len(features.sequences["input_ids"][f]) <= max_length
        per_example.setdefault(e, []).extend(w for w in features.sequences["word_index"][f] if w >= 0)
        # every tagged position holds its word's gold tag
        for w, t in zip(features.sequences["word_index"][f], features.sequences["tag_ids"][f], strict=True):
            assert (w < 0 and t == IGNORE_INDEX) or TAGS[t] == examples[e].tags[w]
    assert features.scalars["example_index"] == sorted(features.scalars["example_index"])
    assert all(per_example[i] == list(range(len(x.words))) for i, x in enumerate(examples))
    # Logits that name each word's gold tag decode to the gold sequence of the whole sentence.
    logits = [
        np.stack([np.eye(len(TAGS))[max(t, 0)] for t in features.sequences["tag_ids"][f]]) for f in range(len(features))
    ]
    predictions = decode_tagging(examples, features, logits, TAGS)
    assert predictions == {x.guid: x.tags for x in examples}
    assert METRICS["tag_accuracy"](examples, predictions) == {"accuracy": 100.0}


def test_unknown_gold_tags_are_ignored_at_evaluation_but_refused_for_training(char_tokenizer):
    example = sentence(["ab", "cd"], ["NOUN", "ADJ"])
    features = featurize_tagging([example], char_tokenizer, TAGS, 32, training=False)
    assert [t for t in features.sequences["tag_ids"][0] if t != IGNORE_INDEX] == [0]
    assert [w for w in features.sequences["word_index"][0] if w >= 0] == [0, 1]
    with pytest.raises(ValueError, match="'ADJ' is not in the head's tags"):
        featurize_tagging([example], char_tokenizer, TAGS, 32, training=True)
    unlabelled = featurize_tagging([sentence(["ab"])], char_tokenizer, TAGS, 32, training=False)
    assert set(unlabelled.sequences["tag_ids"][0]) == {IGNORE_INDEX}
    with pytest.raises(ValueError, match="max_length 2 leaves no room"):
        featurize_tagging([example], char_tokenizer, TAGS, 2, training=False)


def test_features_cache_round_trip(char_tokenizer, tmp_path: Path):
    examples = [sentence(["abc", "de"], ["NOUN", "VERB"]), sentence(["f"], ["PUNCT"])]
    features = featurize_tagging(examples, char_tokenizer, TAGS, 32, training=True)
    features.save(tmp_path / "f.safetensors")
    assert Features.load(tmp_path / "f.safetensors") == features


def test_collate_pads_tag_targets_and_head_ignores_them(char_tokenizer):
    examples = [sentence(["abc", "de"], ["NOUN", "VERB"]), sentence(["f"], ["PUNCT"])]
    features = featurize_tagging(examples, char_tokenizer, TAGS, 32, training=True)
    batch = collate(features, [0, 1], pad_id=0, with_targets=True)
    assert batch["tag_ids"].shape == batch["input_ids"].shape == (2, 7)
    assert batch["tag_ids"][1].tolist() == [
        IGNORE_INDEX,
        3,
        IGNORE_INDEX,
        IGNORE_INDEX,
        IGNORE_INDEX,
        IGNORE_INDEX,
        IGNORE_INDEX,
    ]
    assert "word_index" not in batch and "tag_ids" not in collate(features, [0], 0, with_targets=False)
    assert HEAD_TYPES["token_tagging"] is TaggingHead
    head = TaggingHead(hidden_size=4, num_labels=len(TAGS), dropout=0.0)
    hidden = torch.randn(2, 7, 4)
    logits = head(FixedHidden(hidden), batch)
    assert logits.shape == (2, 7, len(TAGS))
    # The loss is the mean cross-entropy over the three first subwords only.
    picked = [(0, 1, 0), (0, 4, 1), (1, 1, 3)]
    expected = torch.stack([-torch.log_softmax(logits[b, t], -1)[c] for b, t, c in picked]).mean()
    assert torch.allclose(head.loss(logits, batch), expected)
    nothing = {"tag_ids": torch.full((2, 7), IGNORE_INDEX)}
    assert head.loss(logits, nothing).item() == 0.0  # not NaN


def test_decode_refuses_a_word_without_prediction(char_tokenizer):
    example = sentence(["ab", "cd"], ["NOUN", "VERB"])
    features = featurize_tagging([example], char_tokenizer, TAGS, 32, training=False)
    features.sequences["word_index"][0] = [w if w != 1 else -1 for w in features.sequences["word_index"][0]]
    logits = [np.zeros((len(features.sequences["input_ids"][0]), len(TAGS)))]
    with pytest.raises(ValueError, match=r"no prediction for word\(s\) \[1\]"):
        decode_tagging([example], features, logits, TAGS)


def test_dispatch_tables_have_token_tagging_entries(char_tokenizer):
    extension, render = TOKEN_TAGGING.prediction_extension, TOKEN_TAGGING.render
    examples = [sentence(["a", "b"], guid="x"), sentence(["c"], guid="y")]
    text = render(examples, {"x": ("NOUN", "VERB"), "y": ("PUNCT",)})
    assert extension == "tsv" and text == "NOUN\nVERB\n\nPUNCT\n\n" == tag_lines(
        examples, {"x": ("NOUN", "VERB"), "y": ("PUNCT",)}
    )
    features = featurize_tagging(examples, char_tokenizer, TAGS, 32, training=False)
    logits = [np.tile(np.eye(len(TAGS))[1], (len(row), 1)) for row in features.sequences["input_ids"]]
    assert TOKEN_TAGGING.decode(examples, features, logits, TAGS, {}) == {"x": ("VERB", "VERB"), "y": ("VERB",)}


def read_xtreme_tags(text: str) -> list[list[str]]:
    """XTREME evaluate.py's read_tag: one tag per line, a blank line closes a sentence."""
    sentences, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line.strip())
        else:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return sentences


def test_submission_file_reads_back_as_xtreme_does():
    examples = [sentence(["a", "b"], guid="x"), sentence(["c"], guid="y"), sentence(["d", "e", "f"], guid="z")]
    predictions = {"x": ("B-PER", "I-PER"), "y": ("O",), "z": ("B-LOC", "O", "B-ORG")}
    assert read_xtreme_tags(tag_lines(examples, predictions)) == [list(predictions[e.guid]) for e in examples]


def test_task_metrics_on_known_values():
    udpos, panx = get_task("udpos"), get_task("panx")
    gold = [sentence(["a", "b", "c", "d"], ["DET", "NOUN", "VERB", "PUNCT"], guid="1")]
    # As XTREME's evaluate.py (seqeval f1 over the bare tags): gold DET NOUN VERB PUNCT is 4 spans; predicted
    # DET NOUN+NOUN PUNCT is 3 spans, 2 shared: precision 2/3, recall 1/2, F1 4/7.
    scores = METRICS[udpos.metric](gold, {"1": ("DET", "NOUN", "NOUN", "PUNCT")})
    assert scores == pytest.approx({"f1": 100 * 4 / 7, "precision": 100 * 2 / 3, "recall": 50.0})
    ner = [sentence(["a", "b", "c"], ["B-PER", "I-PER", "O"], guid="1"), sentence(["d"], ["B-LOC"], guid="2")]
    scores = METRICS[panx.metric](ner, {"1": ("B-PER", "I-PER", "O"), "2": ("B-ORG",)})
    assert scores == pytest.approx({"f1": 50.0, "precision": 50.0, "recall": 50.0})
    ccg = [sentence(["a", "b", "c"], ["NP", "S\\NP", "."], guid="1"), sentence(["d"], ["NP"], guid="2")]
    assert METRICS["tag_accuracy"](ccg, {"1": ("NP", "NP", "."), "2": ("NP",)}) == {"accuracy": 75.0}
    with pytest.raises(ValueError, match="3 gold tags but 2"):
        METRICS["tag_accuracy"](ccg, {"1": ("NP", "NP"), "2": ("NP",)})
