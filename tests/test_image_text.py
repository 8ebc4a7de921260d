"""The image-text retrieval kind and IGLUE's xFlickr&CO and WIT readers: the real annotation files with generated
images, clear errors on bad rows, set features, the symmetric contrastive loss falling, and Recall@k in both
directions against hand-computed ranks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.image_text_builders import PALETTE
from tests.vision_builders import write_image
from xstilts.data.batching import collate
from xstilts.data.examples import ImageTextSet, RetrievalItem, VisionLanguageExample
from xstilts.data.features import Features
from xstilts.data.iglue_retrieval import image_text_set, read_flickr_captions, read_wit_captions
from xstilts.errors import DataFormatError
from xstilts.kinds.image_text import IMAGE_TEXT, ImageTextSettings
from xstilts.metrics import metric_for
from xstilts.models.encoder import load_encoder
from xstilts.models.multitask import MultiTaskModel
from xstilts.tasks.registry import get_task
from xstilts.training.settings import TrainingSettings

IGLUE = Path(__file__).resolve().parents[2] / "shared" / "data" / "iglue"
XFLICKRCO_LANGUAGES = ["de", "en", "es", "id", "ja", "ru", "tr", "zh"]


def _settings(**changes: object) -> ImageTextSettings:
    values = {"max_length": 16, "vision_stem": "conv", "image_size": 16, "regions": 4, "region_dimensions": 8}
    return ImageTextSettings.model_validate(values | changes)


def _real(path: str) -> Path:
    file = IGLUE / path
    if not file.is_file():
        pytest.skip(f"{file} is not here (../shared/data/iglue)")
    return file


def _head_spec(**options: object) -> dict:
    data = TrainingSettings(image_size=16, **options).data_part("image_text")  # type: ignore[arg-type]
    return {"kind": "image_text", "num_labels": 0, "options": IMAGE_TEXT.head_type.options(data)}


@pytest.mark.parametrize("language", XFLICKRCO_LANGUAGES)
def test_real_xflickrco_test_files_are_2000_images_with_one_caption_each(language: str) -> None:
    captions = read_flickr_captions(_real(f"xFlickrCO/annotations/{language}/test.jsonl"))
    english = read_flickr_captions(_real("xFlickrCO/annotations/en/test.jsonl"))
    assert len(captions) == 2000 and len({c.image for c in captions}) == 2000
    # the same 2,000 images in every language (1,000 Flickr30K, 1,000 COCO val2014), in the same order
    assert [c.image for c in captions] == [c.image for c in english]
    assert sum(c.image.startswith("COCO_val2014_") for c in captions) == 1000
    empty = [c.id for c in captions if not c.text]  # VOLTA keeps the two empty official captions: so do we
    assert empty == {"de": ["COCO_val2014_000000122239.jpg#0"], "id": ["6312211170.jpg#0"]}.get(language, [])


def test_real_flickr30k_validation_is_1014_images_with_five_captions() -> None:
    captions = read_flickr_captions(_real("flickr30k/annotations/valid_ann.jsonl"))
    example = image_text_set(captions, Path("images"), "dev")
    assert (len(example.captions), len(example.images)) == (5070, 1014)
    assert example.gold[:2] == (("1018148011.jpg#0", "1018148011.jpg"), ("1018148011.jpg#1", "1018148011.jpg"))


@pytest.mark.parametrize(("language", "captions", "images"), [("en", 1000, 685), ("ar", 890, 792), ("ja", 1000, 842)])
def test_real_wit_test_files_have_several_captions_per_image(language: str, captions: int, images: int) -> None:
    rows = read_wit_captions(_real(f"wit/annotations/test_{language}.jsonl"))
    assert (len(rows), len({r.image for r in rows})) == (captions, images)
    assert rows[0].id.startswith(rows[0].image + "#")


def test_real_wit_rows_pair_with_generated_images_keyed_by_wit_ix(tiny_model: Path, tmp_path: Path) -> None:
    """The real English test set through the kind: every distinct wit_ix is one image, found under image_root."""
    rows = read_wit_captions(_real("wit/annotations/test_en.jsonl"))
    colour = {image: k % len(PALETTE) for k, image in enumerate(dict.fromkeys(r.image for r in rows))}
    for image, k in colour.items():
        write_image(tmp_path / "images" / f"{image}.png", PALETTE[k], size=8, seed=k)
    example = get_task("wit").read_local(IGLUE / "wit", "test", "en")[0]
    assert isinstance(example, ImageTextSet)
    example = ImageTextSet(example.guid, example.captions, example.images, str(tmp_path / "images"), example.gold)
    _, tokenizer = load_encoder(str(tiny_model))
    features = IMAGE_TEXT.featurize([example], tokenizer, (), _settings(image_size=8), training=False)
    assert len(features) == 1000 and features.arrays["pixels"].shape == (1000, 1, 3, 8, 8)
    assert features.scalars["image_index"][684:686] == [684, -1]  # 685 images, then zero images
    assert not features.arrays["pixels"][685:].any()
    for index in (0, 100, 684):  # each row's pixels are its image's colour (write_image adds ±20 of noise)
        mean = features.arrays["pixels"][index, 0].reshape(3, -1).mean(axis=1)
        assert np.allclose(mean, PALETTE[colour[example.images[index]]], atol=12)


def test_real_xflickrco_rows_read_through_the_task_with_generated_images(tmp_path: Path) -> None:
    root = tmp_path / "xFlickrCO"
    (root / "annotations" / "ja").mkdir(parents=True)
    (root / "annotations" / "ja" / "test.jsonl").symlink_to(_real("xFlickrCO/annotations/ja/test.jsonl"))
    (root / "valid_ann.jsonl").symlink_to(_real("flickr30k/annotations/valid_ann.jsonl"))
    task = get_task("xflickrco")
    (test,) = task.read_local(root, "test", "ja")
    for i, image in enumerate(test.images[:3]):  # type: ignore[union-attr]
        write_image(root / "images" / image, PALETTE[i], size=8, seed=i)
    (dev,) = task.read_local(root, "dev", "en")
    assert isinstance(test, ImageTextSet) and isinstance(dev, ImageTextSet)
    assert test.image_root == str(root / "images") and len(dev.captions) == 5070
    from xstilts.data.images import image_file, load_pixels

    pixels = load_pixels(image_file(Path(test.image_root), test.images[2]), 8)
    assert np.allclose(pixels.reshape(3, -1).mean(axis=1), PALETTE[2], atol=12)
    with pytest.raises(DataFormatError, match=r"train_ann\.jsonl.*file not found"):
        task.read_local(root, "train", "en")


def _bad(tmp_path: Path, line: object) -> Path:
    path = tmp_path / "test.jsonl"
    good = {"sentences": ["a dog"], "id": "1", "img_path": "1.jpg"}
    path.write_text(json.dumps(good) + "\n" + json.dumps(line) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"sentences": "a cat", "img_path": "2.jpg"}, "field 'sentences': expected a list"),
        ({"sentences": [], "img_path": "2.jpg"}, "field 'sentences': empty list"),
        ({"sentences": ["a", 3], "img_path": "2.jpg"}, r"field 'sentences\[1\]': expected a string, found int"),
        ({"sentences": ["a cat"]}, "missing field 'img_path'"),
        ({"sentences": ["a cat"], "img_path": " "}, "field 'img_path': empty"),
        ({"sentences": ["a cat"], "img_path": "1.jpg"}, "field 'img_path': '1.jpg' listed twice"),
    ],
)
def test_flickr_reader_errors_name_file_line_and_field(tmp_path: Path, row: dict, message: str) -> None:
    path = _bad(tmp_path, row)
    with pytest.raises(DataFormatError, match=message) as error:
        read_flickr_captions(path)
    assert str(error.value).startswith(f"{path}:2: ")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"caption_reference_description": "x"}, "missing field 'wit_ix'"),
        ({"caption_reference_description": "x", "wit_ix": ""}, "field 'wit_ix': empty"),
        ({"caption_reference_description": None, "wit_ix": "w1"}, "field 'caption_reference_description': expected"),
    ],
)
def test_wit_reader_errors_name_file_line_and_field(tmp_path: Path, row: dict, message: str) -> None:
    path = tmp_path / "test_xx.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=message) as error:
        read_wit_captions(path)
    assert str(error.value).startswith(f"{path}:1: ")


def test_an_empty_annotation_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "test.jsonl"
    path.write_text("\n", encoding="utf-8")
    for reader in (read_flickr_captions, read_wit_captions):
        with pytest.raises(DataFormatError, match="no captions"):
            reader(path)


def test_recall_in_both_directions_matches_ranks_computed_by_hand() -> None:
    """Captions c0 c1 c2, images A B; gold c0-A, c1-B, c2-B. Cosine ranks by hand: IR c0 -> A first (rank 1),
    c1 -> A .894 over B .447 (B rank 2), c2 -> B first (1); TR A -> c0 .995 first (1), B -> c2 .981 first (1)."""
    example = ImageTextSet(
        "s",
        (RetrievalItem("c0", "x"), RetrievalItem("c1", "y"), RetrievalItem("c2", "z")),
        ("A", "B"),
        "images",
        (("c0", "A"), ("c1", "B"), ("c2", "B")),
    )
    texts = [[1.0, 0.1], [1.0, 0.5], [0.2, 1.0]]
    images = [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
    outputs = [np.asarray(t + i, dtype=np.float32) for t, i in zip(texts, images, strict=True)]
    features = Features(scalars={"example_index": [0, 0, 0], "caption_index": [0, 1, 2], "image_index": [0, 1, -1]})
    predictions = IMAGE_TEXT.decode([example], features, outputs, (), {})
    ir, tr = predictions["s"]["image_retrieval"], predictions["s"]["text_retrieval"]
    assert {q: r["gold_rank"] for q, r in ir.items()} == {"c0": 1, "c1": 2, "c2": 1}
    assert {q: r["gold_rank"] for q, r in tr.items()} == {"A": 1, "B": 1}
    assert ir["c1"]["ranking"] == ["A", "B"] and tr["B"]["ranking"] == ["c2", "c1", "c0"]
    scores = metric_for("image_text_recall", "en")([example], predictions)
    assert scores["ir_r@1"] == pytest.approx(200 / 3) and scores["ir_r@5"] == 100.0
    assert scores["tr_r@1"] == 100.0 and scores["mean_r@1"] == pytest.approx((200 / 3 + 100) / 2)
    rendered = json.loads(IMAGE_TEXT.render([example], predictions))
    assert rendered["image_retrieval"]["c0"] == ["A", "B"] and set(rendered["text_retrieval"]) == {"A", "B"}


def test_a_set_row_holds_caption_i_and_image_i(tiny_model: Path, tmp_path: Path) -> None:
    for k in range(2):
        write_image(tmp_path / f"img{k}.png", PALETTE[k], size=8, seed=k)
    captions = tuple(RetrievalItem(f"c{k}", "cat dog"[: 3 + k]) for k in range(3))
    example = ImageTextSet(
        "s", captions, ("img0", "img1"), str(tmp_path), (("c0", "img0"), ("c1", "img1"), ("c2", "img1"))
    )
    fewer = ImageTextSet("t", captions[:1], ("img0", "img1"), str(tmp_path), (("c0", "img0"), ("c0", "img1")))
    _, tokenizer = load_encoder(str(tiny_model))
    features = IMAGE_TEXT.featurize([example, fewer], tokenizer, (), _settings(image_size=8), training=False)
    assert features.scalars["example_index"] == [0, 0, 0, 1, 1]
    assert features.scalars["caption_index"] == [0, 1, 2, 0, -1]
    assert features.scalars["image_index"] == [0, 1, -1, 0, 1]
    assert not features.arrays["pixels"][2].any() and features.arrays["pixels"][4].any()
    assert features.sequences["input_ids"][4] == tokenizer("")["input_ids"]  # no caption: the empty text


def test_training_pairs_of_one_image_are_not_each_others_negatives(tiny_model: Path, tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", PALETTE[0], size=8)
    write_image(tmp_path / "b.png", PALETTE[1], size=8)
    pairs = [VisionLanguageExample(f"p{k}", "cat", (image,), str(tmp_path), None) for k, image in enumerate("aab")]
    encoder, tokenizer = load_encoder(str(tiny_model))
    features = IMAGE_TEXT.featurize(pairs, tokenizer, (), _settings(image_size=8), training=True)
    keys = features.scalars["image_key"]
    assert keys[0] == keys[1] != keys[2] and features.column("image_key").role == "target"
    model = MultiTaskModel(encoder, {"it": _head_spec()})
    batch = collate(features, [0, 1, 2], tokenizer.pad_token_id, with_targets=True)
    outputs = model("it", batch)
    assert outputs.shape == (3, 2 * encoder.config.hidden_size)
    assert torch.isfinite(model.heads["it"].loss(outputs, batch))


def test_the_symmetric_contrastive_loss_falls_on_a_tiny_synthetic_set(tiny_model: Path, tmp_path: Path) -> None:
    """Three colours, each named by one word: the stem and the shared encoder learn to put an image beside its
    caption, in both directions."""
    torch.manual_seed(0)
    words = ["cat", "dog", "house"]
    pairs = []
    for k in range(9):
        write_image(tmp_path / f"i{k}.png", PALETTE[k % 3], size=16, seed=k)
        pairs.append(VisionLanguageExample(f"p{k}", words[k % 3], (f"i{k}",), str(tmp_path), None))
    encoder, tokenizer = load_encoder(str(tiny_model))
    features = IMAGE_TEXT.featurize(pairs, tokenizer, (), _settings(), training=True)
    model = MultiTaskModel(encoder, {"it": _head_spec(contrastive_temperature=0.1)})
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    losses = []
    for step in range(40):
        rows = [(step * 3 + j) % 9 for j in range(3)]  # three rows, three colours: every negative is another colour
        batch = collate(features, rows, tokenizer.pad_token_id, with_targets=True)
        loss = model.heads["it"].loss(model("it", batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert model.heads["it"].stem.net[0].weight.grad is not None
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    assert last < 0.3 * first, (first, last)


def test_image_text_settings_enter_only_image_text_tasks_data() -> None:
    settings = TrainingSettings()
    assert {"vision_stem", "contrastive_temperature", "retrieval_pooling"} <= set(settings.data_part("image_text"))
    assert "vision_stem" not in settings.data_part("classification")
    assert get_task("xflickrco").kind is IMAGE_TEXT and get_task("wit").kind is IMAGE_TEXT
    assert get_task("wit").splits["test"] == ("ar", "bg", "da", "el", "en", "et", "id", "ja", "ko", "tr", "vi")


def test_region_features_serve_the_image_side_and_a_set_without_an_image_attends_to_none(
    tiny_model: Path, tmp_path: Path
) -> None:
    from tests.test_vision_language import _region_file

    _region_file(tmp_path / "7.npz", 3, 8)
    _region_file(tmp_path / "8.npz", 2, 8)
    example = ImageTextSet(
        "s", tuple(RetrievalItem(f"c{k}", "cat") for k in range(3)), ("7.jpg", "8.jpg"), str(tmp_path), ()
    )
    encoder, tokenizer = load_encoder(str(tiny_model))
    features = IMAGE_TEXT.featurize([example], tokenizer, (), _settings(vision_stem="regions"), training=False)
    assert features.arrays["regions"].shape == (3, 1, 4, 8) and not features.arrays["boxes"][2].any()
    model = MultiTaskModel(encoder, {"it": _head_spec(vision_stem="regions", regions=4, region_dimensions=8)})
    batch = collate(features, [0, 1, 2], tokenizer.pad_token_id, with_targets=False)
    outputs = model("it", batch)
    changed = {k: v.clone() for k, v in batch.items()}
    changed["regions"][0, 0, 3] = 100.0  # the first image's padding region: masked, so nothing changes
    torch.testing.assert_close(model("it", changed), outputs)


def test_a_frozen_tower_embeds_images_for_retrieval_and_stays_frozen(tiny_model: Path, tmp_path: Path) -> None:
    from tests.test_vision_language import _tiny_tower

    tower = _tiny_tower(tmp_path / "tower")
    encoder, tokenizer = load_encoder(str(tiny_model))
    model = MultiTaskModel(encoder, {"it": _head_spec(vision_stem="tower", vision_tower=str(tower), vision_lr=1e-2)})
    stem = model.heads["it"].stem
    assert not any(p.requires_grad for p in stem.tower.parameters())  # type: ignore[union-attr]
    assert model.heads["it"].learning_rates() == {"stem.": 1e-2}
    batch = dict(tokenizer(["cat dog", "sun"], padding=True, return_tensors="pt"))
    batch |= {"pixels": torch.randint(0, 255, (2, 1, 3, 16, 16), dtype=torch.uint8), "image_key": torch.tensor([1, 2])}
    model.train()
    model.heads["it"].loss(model("it", batch), batch).backward()
    assert all(p.grad is None for p in stem.tower.parameters())  # type: ignore[union-attr]
    assert stem.tokens.project.weight.grad is not None  # type: ignore[union-attr]


def test_data_check_counts_an_image_text_set_by_its_captions() -> None:
    from xstilts.experiments.datacheck import example_count

    captions = read_flickr_captions(_real("flickr30k/annotations/valid_ann.jsonl"))
    assert example_count([image_text_set(captions, Path("images"), "dev")]) == 5070
