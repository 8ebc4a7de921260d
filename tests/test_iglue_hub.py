"""IGLUE's test sets from the hub copies that embed their images (floschne/xvnli, floschne/xgqa, floschne/marvl,
floschne/xflickrco),
read through the real ``datasets`` entry points of a fake hub holding tiny tables in the cards' schemas
(``data/iglue_hub.py`` names each card): images written once by content, labels mapped by name, the English
training splits refused with what to do."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests.fake_hub import FakeHub, FakeRepo
from tests.vision_builders import COLOURS
from xstilts.data.images import image_file, load_pixels
from xstilts.data.sources import DataSource
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.tasks.registry import get_task

HUB = DataSource(source="hub")


def _png(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _image_struct() -> dict[str, Any]:
    import datasets

    return {"bytes": datasets.Value("binary"), "path": datasets.Value("null")}


def _table(columns: dict[str, list[Any]], images: tuple[str, ...]) -> Any:
    import datasets

    features = {
        name: datasets.Value("bool" if name == "label" and isinstance(values[0], bool) else "string")
        for name, values in columns.items()
        if name not in images
    }
    features |= {name: _image_struct() for name in images}
    return datasets.Dataset.from_dict(columns, features=datasets.Features(features))


def _image(colour: str) -> dict[str, Any]:
    return {"bytes": _png(COLOURS[colour]), "path": None}


def _xvnli(labels: list[str]) -> Any:
    n = len(labels)
    return _table(
        {
            "label": labels,
            "caption": [f"caption {i}" for i in range(n)],
            "hypothesis": [f"hypothesis {i}" for i in range(n)],
            "caption_id": [f"{i}.jpg#0" for i in range(n)],
            "pair_id": [f"{i}.jpg#0r{i}" for i in range(n)],
            "flikr30k_id": [str(i) for i in range(n)],
            "image": [_image(label if label in COLOURS else "neutral") for label in labels],
        },
        ("image",),
    )


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeHub:
    monkeypatch.setenv("XSTILTS_CACHE", str(tmp_path / "cache"))
    fake = FakeHub(tmp_path / "hub-cache").install(monkeypatch)
    fake.repos["floschne/xvnli"] = FakeRepo(
        configs={None: {"ar": _xvnli(["contradiction", "entailment", "-"]), "en": _xvnli(["neutral", "neutral"])}}
    )
    fake.repos["floschne/marvl"] = FakeRepo(
        configs={
            None: {
                "sw": _table(
                    {
                        "id": ["sw-1", "sw-2"],
                        "hypothesis": ["picha zote", "moja"],
                        "hypo_en": ["both pictures", "one"],
                        "label": [True, False],
                        "concept": ["1-Ndizi", "2-Kanga"],
                        "left_img_id": ["1-Ndizi/a.jpg", "2-Kanga/b.jpg"],
                        "right_img_id": ["1-Ndizi/c.jpg", "2-Kanga/d.jpg"],
                        "left_img": [_image("neutral"), _image("entailment")],
                        "right_img": [_image("contradiction"), _image("neutral")],
                    },
                    ("left_img", "right_img"),
                )
            }
        }
    )
    fake.repos["floschne/xgqa"] = FakeRepo(
        configs={
            None: {
                "de": _table(
                    {
                        "question": ["Welche Farbe?", "Ist es rot?"],
                        "answer": ["blue", "no"],
                        "full_answer": ["It is blue.", "No, it is not."],
                        "image_id": ["n1", "n2"],
                        "image": [_image("entailment"), _image("entailment")],
                    },
                    ("image",),
                )
            }
        }
    )
    fake.repos["floschne/xflickrco"] = FakeRepo(
        configs={
            None: {
                "de": _table(
                    {
                        "sentences": ["Ein blaues Quadrat.", "", "Ein roter Kreis."],
                        "id": ["1007129816", "369771", "42"],
                        "image": [_image("entailment"), _image("neutral"), _image("contradiction")],
                    },
                    ("image",),
                )
            }
        }
    )
    return fake


def test_xvnli_test_sets_read_with_labels_by_name_and_images_on_disk(hub: FakeHub, tmp_path: Path) -> None:
    examples = get_task("xvnli").read("test", "ar", HUB)
    assert [e.label for e in examples] == ["contradiction", "entailment", "-"]  # '-' kept: it counts as wrong
    assert [e.text for e in examples] == ["hypothesis 0", "hypothesis 1", "hypothesis 2"]
    assert examples[0].guid == "xvnli-test-ar-0.jpg#0r0"
    root = Path(examples[0].image_root)
    assert root == tmp_path / "cache" / "hub-images" / "floschne--xvnli"
    pixels = load_pixels(image_file(root, examples[0].images[0]), 8)
    assert tuple(pixels[:, 0, 0]) == COLOURS["contradiction"]
    assert examples[0].images[0].endswith(".png") and len(list(root.iterdir())) == 3  # one file per distinct image
    # the text twin reads the caption as its premise, from the same rows
    text = get_task("xvnli_text").read("test", "en", HUB)
    assert [(e.text_a, e.text_b, e.label) for e in text] == [
        ("caption 0", "hypothesis 0", "neutral"),
        ("caption 1", "hypothesis 1", "neutral"),
    ]


def test_marvl_and_xgqa_test_sets(hub: FakeHub) -> None:
    marvl = get_task("marvl").read("test", "sw", HUB)
    assert [(e.guid, e.text, e.label) for e in marvl] == [
        ("marvl-sw-sw-1", "picha zote", "True"),
        ("marvl-sw-sw-2", "moja", "False"),
    ]
    root = Path(marvl[0].image_root)
    left, right = (load_pixels(image_file(root, ref), 8)[:, 0, 0] for ref in marvl[0].images)
    assert tuple(left) == COLOURS["neutral"] and tuple(right) == COLOURS["contradiction"]
    xgqa = get_task("xgqa").read("test", "de", HUB)
    assert [(e.guid, e.text, e.label) for e in xgqa] == [
        ("xgqa-test-de-1", "Welche Farbe?", "blue"),
        ("xgqa-test-de-2", "Ist es rot?", "no"),
    ]
    assert xgqa[0].images == xgqa[1].images  # the same image bytes: one file


def test_xflickrco_test_set_is_one_retrieval_set_with_its_images_on_disk(hub: FakeHub) -> None:
    (retrieval,) = get_task("xflickrco").read("test", "de", HUB)
    assert [(q.id, q.text) for q in retrieval.captions] == [
        ("1007129816#0", "Ein blaues Quadrat."),
        ("369771#0", ""),  # kept, as the local reader keeps IGLUE's two empty captions
        ("42#0", "Ein roter Kreis."),
    ]
    assert len(retrieval.images) == 3 and [gold for _, gold in retrieval.gold] == list(retrieval.images)
    pixels = load_pixels(image_file(Path(retrieval.image_root), retrieval.images[2]), 8)
    assert tuple(pixels[:, 0, 0]) == COLOURS["contradiction"]
    with pytest.raises(XstiltsError, match=r"holds only IGLUE's test sets .* English train data"):
        get_task("xflickrco").read("train", "en", HUB)


def test_english_training_from_the_hub_copy_is_refused_with_the_local_layout(hub: FakeHub) -> None:
    for task in ("xvnli", "xvnli_text", "marvl", "xgqa"):
        with pytest.raises(XstiltsError, match=r"holds only IGLUE's test sets .* English train data; name a local"):
            get_task(task).read("train", "en", HUB)


def test_a_hub_source_with_a_path_trains_from_the_local_folder(hub: FakeHub, tmp_path: Path) -> None:
    from tests.vision_builders import write_xvnli

    local = write_xvnli(tmp_path / "XVNLI", ["en"], n_train=3, n_dev=2, n_test=1)
    both = DataSource(source="hub", path=str(local))
    train = get_task("xvnli").read("train", "en", both)
    assert len(train) == 3 and Path(train[0].image_root) == local / "images"
    test = get_task("xvnli").read("test", "ar", both)
    assert len(test) == 3 and "hub-images" in test[0].image_root  # the hub copy's three rows, not the local one
    assert len(get_task("xvnli_text").read("dev", "en", both)) == 2


def test_xgqa_reads_its_answer_vocabulary_from_the_path_a_hub_source_names(hub: FakeHub, tmp_path: Path) -> None:
    import json

    answers = tmp_path / "iglue" / "gqa" / "annotations" / "trainval_label2ans.json"
    answers.parent.mkdir(parents=True)
    answers.write_text(json.dumps(["yes", "no", "blue"]), encoding="utf-8")
    task = get_task("xgqa")
    assert task.label_set(DataSource(source="hub", path=str(tmp_path / "iglue"))) == ("yes", "no", "blue")
    with pytest.raises(XstiltsError, match=r"answer vocabulary from a local folder"):
        task.label_set(HUB)


def test_bad_hub_rows_name_the_split_row_and_field(hub: FakeHub) -> None:
    hub.repos["floschne/xvnli"].configs[None]["fr"] = _xvnli(["yes"])
    with pytest.raises(DataFormatError, match=r"hub:floschne/xvnli/fr.*field 'label': 'yes' is not one of"):
        get_task("xvnli").read("test", "fr", HUB)
    broken = _xvnli(["neutral"]).map(lambda row: {"image": {"bytes": b"not an image", "path": None}})
    hub.repos["floschne/xvnli"].configs[None]["es"] = broken
    with pytest.raises(DataFormatError, match=r"field 'image': not a readable image"):
        get_task("xvnli").read("test", "es", HUB)


def test_the_feature_cache_key_of_a_hub_source_with_a_path_follows_the_local_files(tmp_path: Path) -> None:
    from xstilts.tasks.loading import source_fingerprint

    folder = tmp_path / "XVNLI"
    folder.mkdir()
    (folder / "snli_ve_train.jsonl").write_text("{}\n", encoding="utf-8")
    task = get_task("xvnli")
    both = DataSource(source="hub", path=str(folder))
    before = source_fingerprint(task, both)
    assert before["hub"] == "floschne/xvnli" and source_fingerprint(task, HUB) == {
        "hub": "floschne/xvnli",
        "revision": "main",
    }
    (folder / "snli_ve_train.jsonl").write_text("{}\n{}\n", encoding="utf-8")
    assert source_fingerprint(task, both) != before


def test_an_experiment_files_relative_hub_path_is_anchored_to_the_file(tmp_path: Path) -> None:
    from xstilts.experiments.spec import load_spec

    (tmp_path / "exp.yaml").write_text(
        "name: t\nmodel: some/model\nintermediate: [none]\ntarget: [xvnli]\n"
        "tasks: {xvnli: {data: {source: hub, path: data/XVNLI}}}\n",
        encoding="utf-8",
    )
    spec = load_spec(tmp_path / "exp.yaml")
    assert spec.tasks["xvnli"].data == DataSource(source="hub", path=str((tmp_path / "data" / "XVNLI").resolve()))
