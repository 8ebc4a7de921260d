"""IGLUE's readers on the real annotation files (../shared/data/iglue, no images) paired with images the test
writes, keyed by each row's image id; and clear errors on bad rows. Skips when the shared data are absent."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.builders import write_text
from tests.conftest import SHARED_DATA
from tests.vision_builders import write_image
from xstilts.data.examples import ClassificationExample, VisionLanguageExample
from xstilts.data.iglue import read_entailment_jsonl, read_gqa_answers, read_marvl_jsonl, read_nlvr2_jsonl
from xstilts.errors import DataFormatError
from xstilts.kinds.vision_language import VISION_LANGUAGE, VISION_LANGUAGE_PAIR, VisionLanguageSettings
from xstilts.tasks.registry import get_task

IGLUE = SHARED_DATA / "iglue"
needs_iglue = pytest.mark.skipif(not IGLUE.is_dir(), reason="../shared/data/iglue is not here")


def _tiny_settings() -> VisionLanguageSettings:
    return VisionLanguageSettings(max_length=32, vision_stem="conv", image_size=8, regions=36, region_dimensions=2048)


@needs_iglue
def test_xvnli_reads_every_language_aligned_keeping_the_no_consensus_items(tmp_path: Path) -> None:
    root = tmp_path / "XVNLI"
    shutil.copytree(IGLUE / "XVNLI" / "annotations", root / "annotations")
    task, text_task = get_task("xvnli"), get_task("xvnli_text")
    by_language = {lang: task.read_local(root, "test", lang) for lang in ("ar", "en", "es", "fr", "ru")}
    assert {lang: len(rows) for lang, rows in by_language.items()} == dict.fromkeys(by_language, 1164)
    english = by_language["en"]
    assert all(isinstance(e, VisionLanguageExample) for e in english)
    assert Counter(e.label for e in english)["-"] == 14  # kept: they count as wrong
    for rows in by_language.values():  # aligned by pairID: same image and gold label in every language
        assert [(e.images, e.label) for e in rows] == [(e.images, e.label) for e in english]
    first = json.loads((root / "annotations" / "fr" / "test.jsonl").read_text(encoding="utf-8").splitlines()[0])
    text = text_task.read_local(root, "test", "fr")[0]
    assert isinstance(text, ClassificationExample)
    assert (text.text_a, text.text_b, text.label) == (first["sentence1"], first["sentence2"], first["gold_label"])
    # A real row with a generated image keyed by its Flikr30kID featurizes; '-' gets no training target.
    from xstilts.models.encoder import load_encoder

    sample = [english[0], next(e for e in english if e.label == "-")]
    for example in sample:
        write_image(Path(example.image_root) / f"{example.images[0]}.jpg", (10, 200, 10), size=12)
    _, tokenizer = load_encoder(str(_tokenizer_model(tmp_path)))
    features = VISION_LANGUAGE.featurize(sample, tokenizer, task.labels, _tiny_settings(), training=False)
    assert features.arrays["pixels"].shape == (2, 1, 3, 8, 8)
    assert features.scalars["label"][1] == -1
    with pytest.raises(ValueError, match="label '-'"):
        VISION_LANGUAGE.featurize(sample, tokenizer, task.labels, _tiny_settings(), training=True)


def _tokenizer_model(tmp_path: Path) -> Path:
    from tests.builders import make_tiny_model

    return make_tiny_model(tmp_path / "model", layers=1, hidden=16)


@needs_iglue
def test_marvl_reads_two_image_statements_per_language(tmp_path: Path) -> None:
    root = tmp_path / "marvl"
    shutil.copytree(IGLUE / "marvl" / "zero_shot", root / "zero_shot")
    task = get_task("marvl")
    counts = {}
    for language in task.languages:
        rows = task.read_local(root, "test", language)
        counts[language] = len(rows)
        assert {e.label for e in rows} == {"False", "True"}
        assert all(len(e.images) == 2 and e.images[0].count("/") == 1 for e in rows)
    assert all(n > 900 for n in counts.values()), counts
    first = task.read_local(root, "test", "id")[0]
    raw = read_marvl_jsonl(root / "zero_shot" / "annotations" / "marvl-id.jsonl")[0]
    assert first.images == (raw.left, raw.right) == ("39-Panci/39-0.jpg", "39-Panci/39-11.jpg")
    for reference in first.images:
        write_image(Path(first.image_root) / reference, (200, 10, 10), size=12)
    _, tokenizer = load_tokenizer_only(tmp_path)
    features = VISION_LANGUAGE_PAIR.featurize([first], tokenizer, task.labels, _tiny_settings(), training=True)
    assert features.arrays["pixels"].shape == (1, 2, 3, 8, 8) and features.scalars["label"] == [1]


def load_tokenizer_only(tmp_path: Path) -> tuple[object, object]:
    from xstilts.models.encoder import load_encoder

    return load_encoder(str(_tokenizer_model(tmp_path)))


@needs_iglue
def test_xgqa_reads_questions_and_gqas_1842_answers(tmp_path: Path) -> None:
    answers = read_gqa_answers(IGLUE / "gqa" / "annotations" / "trainval_label2ans.json")
    assert len(answers) == 1842
    ans2label = json.loads((IGLUE / "gqa" / "annotations" / "trainval_ans2label.json").read_text())
    assert all(ans2label[answer] == i for i, answer in enumerate(answers))
    root = tmp_path / "iglue"
    (root / "gqa" / "annotations").mkdir(parents=True)
    shutil.copy(IGLUE / "gqa" / "annotations" / "trainval_label2ans.json", root / "gqa" / "annotations")
    # The stored xGQA files are the few-shot dev sets; the reader takes the test file's identical layout.
    for language in ("de", "en", "zh"):
        target = root / "xGQA" / "annotations" / "few_shot" / language / "test.json"
        target.parent.mkdir(parents=True)
        shutil.copy(IGLUE / "xGQA" / "annotations" / "few_shot" / language / "dev.json", target)
    task = get_task("xgqa")
    from xstilts.data.sources import DataSource

    assert task.label_set(DataSource(source="local", path=str(root))) == answers
    german, english = task.read_local(root, "test", "de"), task.read_local(root, "test", "en")
    assert len(german) == len(english) > 1000
    assert german[0].text == "Wer trägt das Kleid?" and german[0].label == "women" and german[0].images == ("n235859",)
    assert [e.label for e in german] == [e.label for e in english]  # answers stay English in every language
    assert sum(e.label in set(answers) for e in german) / len(german) > 0.95


def test_bad_rows_are_named_by_file_line_and_field(tmp_path: Path) -> None:
    row = {"gold_label": "entailment", "sentence1": "a", "sentence2": "b", "pairID": "p", "Flikr30kID": "1"}
    good = json.dumps(row)
    bad_label = write_text(tmp_path / "a.jsonl", good + "\n" + json.dumps(row | {"gold_label": "yes"}) + "\n")
    with pytest.raises(DataFormatError, match=r"a\.jsonl:2: field 'gold_label': 'yes' is not one of"):
        read_entailment_jsonl(bad_label, keep_no_consensus=True)
    no_image = {k: v for k, v in row.items() if k != "Flikr30kID"}
    path = write_text(tmp_path / "b.jsonl", json.dumps(no_image) + "\n")
    with pytest.raises(DataFormatError, match=r"b\.jsonl:1: field 'Flikr30kID': missing"):
        read_entailment_jsonl(path, keep_no_consensus=True)
    marvl = {"concept": "1-x", "caption": "c", "left_img": "l.jpg", "right_img": "r.jpg", "id": "i", "label": "true"}
    path = write_text(tmp_path / "m.jsonl", json.dumps(marvl) + "\n")
    with pytest.raises(DataFormatError, match=r"m\.jsonl:1: field 'label': expected"):
        read_marvl_jsonl(path)
    nlvr2 = {"identifier": "train-1-0-0", "sentence": "s", "label": "True", "directory": 3}
    path = write_text(tmp_path / "n.json", json.dumps(nlvr2) + "\n" + json.dumps(nlvr2 | {"label": "yes"}) + "\n")
    with pytest.raises(DataFormatError, match=r"n\.json:2: field 'label'"):
        read_nlvr2_jsonl(path)
    assert (
        read_nlvr2_jsonl(write_text(tmp_path / "ok.json", json.dumps(nlvr2) + "\n"))[0].left == "3/train-1-0-img0.png"
    )
    with pytest.raises(DataFormatError, match="list of answer strings"):
        read_gqa_answers(write_text(tmp_path / "ans.json", '{"a": 0}'))
