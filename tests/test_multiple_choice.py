"""The multiple-choice kind: readers of the official files (and their errors), featurizing one row per example,
collate's unpacking into one batch row per choice, the head's scores and loss, decoding, accuracy, prediction
files, and XCOPA's two training stages in the plan."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from tests import choice_builders
from tests.head_builders import FixedHidden
from xstilts.data.batching import collate, evaluation_batches
from xstilts.data.examples import MultipleChoiceExample
from xstilts.data.features import Features
from xstilts.data.sources import DataSource
from xstilts.errors import DataFormatError
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec
from xstilts.kinds.multiple_choice import MULTIPLE_CHOICE, MultipleChoiceHead, featurize_multiple_choice
from xstilts.metrics import METRICS
from xstilts.models.heads import HEAD_TYPES
from xstilts.tasks.registry import get_task
from xstilts.tasks.xcopa import XCOPA_LANGUAGES


def read(task: str, root: Path, split: str = "dev", language: str = "en") -> list[MultipleChoiceExample]:
    return get_task(task).read(split, language, DataSource(source="local", path=str(root)))


@pytest.fixture(scope="module")
def tokenizer(tiny_model: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


# --- readers ---------------------------------------------------------------------------------------------------


def test_copa_reader_phrases_the_question_as_xtreme_r(tmp_path: Path) -> None:
    root = choice_builders.write_copa_xtreme(tmp_path, n_train=6, n_dev=4)
    rows = choice_builders.copa_rows("en", 4, 2)
    examples = read("copa", root)
    assert len(examples) == 4 and len(read("copa", root, "train")) == 6
    for example, row in zip(examples, rows, strict=True):
        assert example.context == f"{row['premise']} What was the {row['question']}?"
        assert example.choices == (row["choice1"], row["choice2"])
        assert example.label == str(row["label"])


def test_copa_reader_accepts_superglue_names(tmp_path: Path) -> None:
    (tmp_path / "val.jsonl").write_text(json.dumps(choice_builders.copa_rows("en", 1, 0)[0]) + "\n")
    assert len(read("copa", tmp_path)) == 1


def test_xcopa_reader_official_and_xtreme_layouts(tmp_path: Path) -> None:
    official = choice_builders.write_xcopa_official(tmp_path / "xcopa", ["sw", "it"], n=5)
    assert [len(read("xcopa", official, split, lang)) for split in ("dev", "test") for lang in ("sw", "it")] == [5] * 4
    flat = tmp_path / "flat"
    flat.mkdir()
    rows = choice_builders.copa_rows("sw", 3, 0)
    (flat / "test-sw.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (flat / "val.sw.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert len(read("xcopa", flat, "test", "sw")) == len(read("xcopa", flat, "dev", "sw")) == 3
    with pytest.raises(DataFormatError, match=r"test-qu\.jsonl: file not found \(also looked for test\.qu\.jsonl"):
        read("xcopa", flat, "test", "qu")


def test_siqa_readers_v14_letters_and_official_label_list(tmp_path: Path) -> None:
    v14 = choice_builders.write_siqa_v14(tmp_path / "v14", n_train=5, n_dev=4)
    rows = choice_builders.siqa_rows(4, 4)
    examples = read("siqa", v14)
    assert [e.label for e in examples] == [str("ABC".index(r["correct"])) for r in rows]
    assert examples[0].context == f"{rows[0]['context']} {rows[0]['question']}"
    assert examples[0].choices == (rows[0]["answerA"], rows[0]["answerB"], rows[0]["answerC"])
    official = choice_builders.write_siqa_official(tmp_path / "official", n=6)
    expected = [str("ABC".index(r["correct"])) for r in choice_builders.siqa_rows(6, 5)]
    assert [e.label for e in read("siqa", official)] == expected


def test_hellaswag_choices_are_ctx_b_plus_ending(tmp_path: Path) -> None:
    root = choice_builders.write_hellaswag(tmp_path, n_train=3, n_dev=2)
    row = choice_builders.hellaswag_rows(2, 7)[1]
    example = read("hellaswag", root)[1]
    assert example.context == row["ctx_a"]
    assert example.choices == tuple(f"{row['ctx_b']} {ending}" for ending in row["endings"])
    assert example.label == str(row["label"]) and example.guid == "hellaswag-dev-1"


def test_commonsenseqa_answer_key_to_position(tmp_path: Path) -> None:
    root = choice_builders.write_commonsenseqa(tmp_path, n=4)
    rows = [json.loads(line) for line in (root / "dev_rand_split.jsonl").read_text().splitlines()]
    examples = read("commonsenseqa", root)
    assert [e.label for e in examples] == [str("ABCDE".index(r["answerKey"])) for r in rows]
    assert examples[0].context == rows[0]["question"]["stem"] and len(examples[0].choices) == 5


def test_cosmosqa_csv_with_quoted_commas_and_newlines(tmp_path: Path) -> None:
    root = choice_builders.write_cosmosqa(tmp_path, n=5)
    examples = read("cosmosqa", root)
    assert len(examples) == 5
    assert "\n" in examples[0].context and examples[0].context.endswith(" what is the answer ?")
    assert all(e.label in {"0", "1", "2", "3"} and len(e.choices) == 4 for e in examples)


def _corrupt_line(path: Path, number: int, change) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = change(lines[number - 1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _edit_json(key: str, value):
    def change(line: str) -> str:
        row = json.loads(line)
        if value is KeyError:
            del row[key]
        else:
            row[key] = value
        return json.dumps(row)

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda line: line[:-1], r"val-en\.jsonl:3: invalid JSON"),
        (_edit_json("premise", KeyError), r"val-en\.jsonl:3: missing field 'premise'"),
        (_edit_json("choice2", 7), r"val-en\.jsonl:3: field 'choice2': expected a string, found int"),
        (_edit_json("label", 2), r"val-en\.jsonl:3: field 'label': 2 is not one of 0, 1"),
        (_edit_json("label", True), r"val-en\.jsonl:3: field 'label': True is not one of 0, 1"),
        (
            _edit_json("question", "reason"),
            r"val-en\.jsonl:3: field 'question': 'reason' is not one of 'cause', 'effect'",
        ),
        (lambda line: "[1, 2]", r"val-en\.jsonl:3: expected a JSON object, found list"),
    ],
)
def test_copa_malformed_lines_name_file_line_and_field(tmp_path: Path, change, message: str) -> None:
    root = choice_builders.write_copa_xtreme(tmp_path, n_train=2, n_dev=5)
    _corrupt_line(root / "val-en.jsonl", 3, change)
    with pytest.raises(DataFormatError, match=message):
        read("copa", root)


def test_siqa_malformed_letter_and_label_list(tmp_path: Path) -> None:
    v14 = choice_builders.write_siqa_v14(tmp_path / "v14", n_train=2, n_dev=4)
    _corrupt_line(v14 / "socialIQa_v1.4_dev.jsonl", 2, _edit_json("correct", "D"))
    with pytest.raises(DataFormatError, match=r"socialIQa_v1\.4_dev\.jsonl:2: field 'correct': 'D' is not one of"):
        read("siqa", v14)
    _corrupt_line(v14 / "socialIQa_v1.4_dev.jsonl", 1, _edit_json("answerB", KeyError))
    with pytest.raises(DataFormatError, match=r"socialIQa_v1\.4_dev\.jsonl:1: missing field 'answerB'"):
        read("siqa", v14)
    official = choice_builders.write_siqa_official(tmp_path / "official", n=4)
    _corrupt_line(official / "dev-labels.lst", 3, lambda line: "4")
    with pytest.raises(DataFormatError, match=r"dev-labels\.lst:3: field 'label': '4' is not one of '1', '2', '3'"):
        read("siqa", official)
    (official / "dev-labels.lst").write_text("1\n2\n")
    with pytest.raises(DataFormatError, match=r"dev-labels\.lst: 2 labels for the 4 questions of dev\.jsonl"):
        read("siqa", official)


def test_hellaswag_and_commonsenseqa_malformed(tmp_path: Path) -> None:
    root = choice_builders.write_hellaswag(tmp_path / "hs", n_train=2, n_dev=3)
    _corrupt_line(root / "hellaswag_val.jsonl", 2, _edit_json("endings", ["a", "b", "c"]))
    with pytest.raises(DataFormatError, match=r"hellaswag_val\.jsonl:2: field 'endings': expected a list of 4"):
        read("hellaswag", root)
    csqa = choice_builders.write_commonsenseqa(tmp_path / "csqa", n=3)
    _corrupt_line(csqa / "dev_rand_split.jsonl", 3, _edit_json("answerKey", "F"))
    with pytest.raises(DataFormatError, match=r"dev_rand_split\.jsonl:3: field 'answerKey': 'F' is not one of"):
        read("commonsenseqa", csqa)
    _corrupt_line(csqa / "dev_rand_split.jsonl", 1, _edit_json("question", "no object"))
    with pytest.raises(DataFormatError, match=r"dev_rand_split\.jsonl:1: field 'question': expected an object"):
        read("commonsenseqa", csqa)


def test_cosmosqa_malformed_csv_names_the_record_line(tmp_path: Path) -> None:
    root = choice_builders.write_cosmosqa(tmp_path, n=4)
    path = root / "valid.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rsplit(",", 1)[0] + ",7\n", encoding="utf-8")  # the last record's label
    with pytest.raises(DataFormatError, match=r"valid\.csv:8: field 'label': '7' is not one of"):
        read("cosmosqa", root)  # every context holds a newline: records start at lines 2, 4, 6 and 8
    path.write_text("id,context,question,answer0,answer1,answer2,label\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"valid\.csv:1: header lacks column\(s\) answer3"):
        read("cosmosqa", root)


# --- features, batches, head, decoding --------------------------------------------------------------------------


def _examples() -> list[MultipleChoiceExample]:
    return [
        MultipleChoiceExample("a", "cat dog", ("house", "tree river sun"), "1"),
        MultipleChoiceExample("b", "the book", ("road bird city", "yes"), "0"),
        MultipleChoiceExample("c", "what is the answer ?", ("no", "maybe"), None),
    ]


def test_featurize_one_row_per_example_with_choice_lengths(tokenizer) -> None:
    examples = _examples()
    features = featurize_multiple_choice(examples, tokenizer, ("0", "1"), max_length=64)
    assert len(features) == 3 and "token_type_ids" not in features.sequences
    assert features.scalars == {"label": [1, 0, -1], "example_index": [0, 1, 2]}
    for k, example in enumerate(examples):
        pairs = [tokenizer(example.context, choice)["input_ids"] for choice in example.choices]
        assert features.sequences["choice_lengths"][k] == [len(p) for p in pairs]
        assert features.sequences["input_ids"][k] == pairs[0] + pairs[1]
    assert features.lengths().tolist() == [sum(c) for c in features.sequences["choice_lengths"]]


def test_featurize_truncates_each_pair_and_checks_the_number_of_choices(tokenizer) -> None:
    long = MultipleChoiceExample("x", " ".join(["cat"] * 40), ("dog " * 30, "yes"), "0")
    features = featurize_multiple_choice([long], tokenizer, ("0", "1"), max_length=16)
    assert features.sequences["choice_lengths"] == [[16, 16]]
    with pytest.raises(ValueError, match="example x has 2 choices; its task has 3"):
        featurize_multiple_choice([long], tokenizer, ("0", "1", "2"), max_length=16)
    settings = MULTIPLE_CHOICE.settings({"max_length": 16, "doc_stride": 8})
    assert settings.model_dump() == {"max_length": 16}
    assert MULTIPLE_CHOICE.featurize([long], tokenizer, ("0", "1"), settings, True).sequences == features.sequences


def test_collate_unpacks_each_row_into_its_choices(tokenizer) -> None:
    features = featurize_multiple_choice(_examples(), tokenizer, ("0", "1"), max_length=64)
    pad = tokenizer.pad_token_id
    for indices in evaluation_batches(features.lengths(), 2):
        batch = collate(features, indices, pad, with_targets=True)
        pieces = [
            features.sequences["input_ids"][i][a : a + n]
            for i in indices
            for a, n in zip(
                np.cumsum([0, *features.sequences["choice_lengths"][i][:-1]]),
                features.sequences["choice_lengths"][i],
                strict=True,
            )
        ]
        width = max(len(p) for p in pieces)
        assert batch["input_ids"].shape == batch["attention_mask"].shape == (2 * len(indices), width)
        for row, piece in enumerate(pieces):
            assert batch["input_ids"][row, : len(piece)].tolist() == piece
            assert set(batch["input_ids"][row, len(piece) :].tolist()) <= {pad}
            assert batch["attention_mask"][row].sum().item() == len(piece)
        assert batch["label"].tolist() == [features.scalars["label"][i] for i in indices]
        assert "choice_lengths" not in batch and "example_index" not in batch


def test_head_scores_regroup_per_example_and_loss_is_softmax_over_choices() -> None:
    torch.manual_seed(0)
    head = HEAD_TYPES["multiple_choice"](8, 3, 0.0)
    assert isinstance(head, MultipleChoiceHead) and MultipleChoiceHead.options({"classifier_pooling": "mean"}) == {}
    hidden = torch.randn(2 * 3, 5, 8)
    logits = head(FixedHidden(hidden), {"attention_mask": torch.ones(6, 5, dtype=torch.long)})
    assert logits.shape == (2, 3)
    first = torch.tanh(head.dense(hidden[:, 0]))
    assert torch.allclose(logits.flatten(), head.score(first).flatten())
    known = torch.tensor([[2.0, 0.0, -1.0], [0.0, 3.0, 1.0]])
    labels = torch.tensor([0, 2])
    expected = -(torch.log_softmax(known, 1)[0, 0] + torch.log_softmax(known, 1)[1, 2]) / 2
    assert head.loss(known, {"label": labels}).item() == pytest.approx(expected.item())
    assert head.loss(known, {"label": labels}).item() == pytest.approx(F.cross_entropy(known, labels).item())


def test_decode_accuracy_and_prediction_file_on_known_scores() -> None:
    examples = [
        MultipleChoiceExample("a", "c", ("x", "y", "z"), "2"),
        MultipleChoiceExample("b", "c", ("x", "y", "z"), "0"),
        MultipleChoiceExample("c", "c", ("x", "y", "z"), "1"),
    ]
    logits = [np.array([0.1, 0.2, 0.9]), np.array([0.5, 0.4, -1.0]), np.array([3.0, 0.0, 0.0])]
    predictions = MULTIPLE_CHOICE.decode(examples, Features(), logits, ("0", "1", "2"), {})
    assert predictions == {"a": "2", "b": "0", "c": "0"}
    assert get_task("xcopa").metric == "accuracy"
    assert METRICS["accuracy"](examples, predictions) == {"accuracy": pytest.approx(200 / 3)}
    assert MULTIPLE_CHOICE.prediction_extension == "jsonl"
    assert MULTIPLE_CHOICE.render(examples, predictions) == '{"label": 2}\n{"label": 0}\n{"label": 0}\n'


# --- tasks and the plan ------------------------------------------------------------------------------------------


def test_task_facts() -> None:
    choices = {"copa": 2, "xcopa": 2, "siqa": 3, "commonsenseqa": 5, "hellaswag": 4, "cosmosqa": 4}
    for name, n in choices.items():
        task = get_task(name)
        assert task.kind.name == "multiple_choice" and task.labels == tuple(str(i) for i in range(n))
        assert "test" not in task.splits or name == "xcopa"
    xcopa = get_task("xcopa")
    assert XCOPA_LANGUAGES == ("et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh")
    assert xcopa.splits["test"] == xcopa.splits["dev"] == XCOPA_LANGUAGES
    assert xcopa.earlier_stages == ("siqa",)
    assert (xcopa.train_from.task, xcopa.train_from.split) == ("copa", "train")
    assert (xcopa.select_on.task, xcopa.select_on.split) == ("copa", "dev")
    assert xcopa.describe()["train_from"] == "siqa then copa/train"


def test_plan_trains_xcopa_on_siqa_then_copa(tmp_path: Path) -> None:
    path = tmp_path / "e.yaml"
    path.write_text("name: p\nmodel: xlm-roberta-large\nintermediate: [none, hellaswag]\ntarget: [xcopa, xnli]\n")
    plan = build_plan(load_spec(path))
    by_id = {p.id: p for p in plan}
    for variant in ("baseline", "hellaswag"):
        evaluation = next(p for p in plan if p.role == "evaluate" and p.variant == variant and p.tasks == ("xcopa",))
        copa = by_id[evaluation.parent]
        siqa = by_id[copa.parent]
        assert copa.tasks == ("xcopa",) and siqa.tasks == ("siqa",) and {copa.role, siqa.role} == {"target"}
        head = copa.config.dump()["heads"]["xcopa"]
        assert (head["train"]["task"], head["select"]["task"], head["select"]["split"]) == ("copa", "copa", "dev")
        assert siqa.config.dump()["heads"]["siqa"]["select"]["task"] == "siqa"
        intermediate = by_id[siqa.parent] if siqa.parent else None
        assert (intermediate.tasks if intermediate else None) == (("hellaswag",) if variant == "hellaswag" else None)
        assert evaluation.config.dump()["languages"] == list(XCOPA_LANGUAGES)
    xnli = [p for p in plan if p.role == "target" and p.tasks == ("xnli",)]
    assert len(xnli) == 2 and len(plan) == 1 + 2 * (3 + 2)


# --- hub readers (the hub is unreachable in tests: rows in each dataset's published schema) -----------------------

_HUB_ROWS = {
    "copa": ("aps/super_glue", "copa", [{"premise": "p", "choice1": "a", "choice2": "b", "question": "effect"}]),
    "xcopa": ("cambridgeltl/xcopa", "sw", [{"premise": "p", "choice1": "a", "choice2": "b", "question": "cause"}]),
    "siqa": ("lighteval/siqa", None, [{"context": "c", "question": "q", "answerA": "a", "answerB": "b"}]),
    "hellaswag": ("Rowan/hellaswag", None, [{"ind": 7, "ctx_a": "c", "ctx_b": "d", "endings": ["a", "b", "e", "f"]}]),
    "commonsenseqa": ("tau/commonsense_qa", None, [{"id": "q1", "question": "s", "answerKey": "D"}]),
    "cosmosqa": ("allenai/cosmos_qa", None, [{"id": "i", "context": "c", "question": "q", "label": 3}]),
}
_HUB_EXTRA = {
    "copa": {"label": 1, "idx": 0},
    "xcopa": {"label": 0, "idx": 0, "changed": False},
    "siqa": {"answerC": "e", "label": "3"},
    "hellaswag": {"label": "2"},
    "commonsenseqa": {"choices": {"label": list("ABCDE"), "text": list("abcde")}},
    "cosmosqa": {"answer0": "a", "answer1": "b", "answer2": "e", "answer3": "f"},
}
_HUB_EXPECTED = {
    "copa": ("p What was the effect?", ("a", "b"), "1"),
    "xcopa": ("p What was the cause?", ("a", "b"), "0"),
    "siqa": ("c q", ("a", "b", "e"), "2"),
    "hellaswag": ("c", ("d a", "d b", "d e", "d f"), "2"),
    "commonsenseqa": ("s", ("a", "b", "c", "d", "e"), "3"),
    "cosmosqa": ("c q", ("a", "b", "e", "f"), "3"),
}


@pytest.mark.parametrize("name", sorted(_HUB_ROWS))
def test_hub_readers_map_each_schema(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    dataset, config, rows = _HUB_ROWS[name]
    calls = []

    def fake(got_dataset, got_config, split, revision):
        calls.append((got_dataset, got_config, split))
        return [rows[0] | _HUB_EXTRA[name]]

    monkeypatch.setattr(f"xstilts.tasks.{name}.load_hub_split", fake)
    language = "sw" if name == "xcopa" else "en"
    [example] = get_task(name).read("dev", language, DataSource())
    assert calls == [(dataset, config, "validation")]
    assert (example.context, example.choices, example.label) == _HUB_EXPECTED[name]
