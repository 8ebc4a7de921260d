"""IGLUE's readers on the real annotation files (../shared/data/iglue, no images) paired with images the test
writes, keyed by each row's image id; and clear errors on bad rows. Skips when the shared data are absent."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
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
    bad_label = write_text(
        tmp_path / "a.jsonl", good + "\n" + json.dumps(row | {"gold_label": "yes", "pairID": "q"}) + "\n"
    )
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
    path = write_text(
        tmp_path / "n.json",
        json.dumps(nlvr2) + "\n" + json.dumps(nlvr2 | {"label": "yes", "identifier": "train-1-0-1"}) + "\n",
    )
    with pytest.raises(DataFormatError, match=r"n\.json:2: field 'label'"):
        read_nlvr2_jsonl(path)
    assert (
        read_nlvr2_jsonl(write_text(tmp_path / "ok.json", json.dumps(nlvr2) + "\n"))[0].left == "3/train-1-0-img0.png"
    )
    with pytest.raises(DataFormatError, match="list of answer strings"):
        read_gqa_answers(write_text(tmp_path / "ans.json", '{"a": 0}'))


def test_repeated_ids_and_a_wrong_nlvr2_folder_are_named(tmp_path: Path) -> None:
    row = {"gold_label": "-", "sentence1": "a", "sentence2": "b", "pairID": "p1", "Flikr30kID": "1"}
    path = write_text(tmp_path / "x.jsonl", json.dumps(row) + "\n" + json.dumps(row | {"gold_label": "neutral"}) + "\n")
    # A repeated item is refused even where its first copy is left out of training (gold '-').
    with pytest.raises(DataFormatError, match=r"x\.jsonl:2: field 'pairID': 'p1' listed twice \(first on line 1\)"):
        read_entailment_jsonl(path, keep_no_consensus=False)
    marvl = {"concept": "1-x", "caption": "c", "left_img": "l.jpg", "right_img": "r.jpg", "id": "sw-0", "label": True}
    path = write_text(tmp_path / "m.jsonl", (json.dumps(marvl) + "\n") * 2)
    with pytest.raises(DataFormatError, match=r"m\.jsonl:2: field 'id': 'sw-0' listed twice"):
        read_marvl_jsonl(path)
    nlvr2 = {"identifier": "train-1-0-0", "sentence": "s", "label": "True", "directory": [3]}
    with pytest.raises(DataFormatError, match=r"n\.json:1: field 'directory': expected a folder number, found list"):
        read_nlvr2_jsonl(write_text(tmp_path / "n.json", json.dumps(nlvr2) + "\n"))


def _regions(path: Path, **arrays: object) -> Path:
    values = {
        "features": np.ones((2, 4), np.float32),
        "boxes": np.ones((2, 4), np.float32),
        "image_w": 10,
        "image_h": 5,
    }
    np.savez(path, **(values | arrays))
    return path


def test_broken_region_files_and_images_are_named_errors(tmp_path: Path) -> None:
    from tests.fuzz_iglue import _png_claiming
    from xstilts.data.images import load_pixels, load_regions

    features, boxes = load_regions(_regions(tmp_path / "ok.npz"), 3, 4)
    assert features.shape == (3, 4) and boxes[0].tolist() == pytest.approx([0.1, 0.2, 0.1, 0.2, 0.0])
    cases = {
        "nan.npz": ({"features": np.full((2, 4), np.nan)}, "field 'features': holds NaN or infinite values"),
        "complex.npz": ({"boxes": np.ones((2, 4), np.complex64)}, "field 'boxes': expected real numbers"),
        "words.npz": ({"image_w": np.asarray("640")}, "field 'image_w': expected real numbers"),
        "two.npz": ({"image_h": np.asarray([5, 6])}, r"field 'image_h' has shape \(2,\), expected one number"),
    }
    for name, (arrays, message) in cases.items():
        with pytest.raises(DataFormatError, match=rf"{name}: {message}"):
            load_regions(_regions(tmp_path / name, **arrays), 3, 4)
    np.save(tmp_path / "bare.npy", np.ones((2, 4)))
    (tmp_path / "bare.npz").write_bytes((tmp_path / "bare.npy").read_bytes())
    with pytest.raises(DataFormatError, match=r"bare\.npz: not an npz archive"):
        load_regions(tmp_path / "bare.npz", 3, 4)
    (tmp_path / "cut.npz").write_bytes(_regions(tmp_path / "whole.npz").read_bytes()[:100])
    with pytest.raises(DataFormatError, match=r"cut\.npz: not a readable npz region file"):
        load_regions(tmp_path / "cut.npz", 3, 4)
    from PIL import Image

    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(_png_claiming(Image.new("RGB", (4, 4)), (30_000, 30_000)))
    with pytest.raises(DataFormatError, match=r"bomb\.png: image too large to decode"):
        load_pixels(bomb, 8)
