"""The vision-language kind: image arrays in features and batches, early fusion that leaves text-only outputs as the
encoder's own, the three vision stems, the pair head, and the stem's own learning rate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.vision_builders import COLOURS, write_image
from xstilts.data.batching import collate
from xstilts.data.examples import VisionLanguageExample
from xstilts.data.features import Features
from xstilts.data.images import load_regions
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.kinds.vision_language import (
    VISION_LANGUAGE,
    VISION_LANGUAGE_PAIR,
    EarlyFusionHead,
    PairFusionHead,
    VisionLanguageSettings,
)
from xstilts.models.encoder import load_encoder
from xstilts.models.heads import last_hidden
from xstilts.models.multitask import MultiTaskModel
from xstilts.training.loop import _optimizer
from xstilts.training.settings import TrainingSettings

LABELS = ("contradiction", "neutral", "entailment")


def _settings(**changes: object) -> VisionLanguageSettings:
    values = {"max_length": 32, "vision_stem": "conv", "image_size": 16, "regions": 4, "region_dimensions": 8}
    return VisionLanguageSettings.model_validate(values | changes)


@pytest.fixture
def images(tmp_path: Path) -> Path:
    for i, colour in enumerate(COLOURS.values()):
        write_image(tmp_path / "images" / f"img{i}.png", colour, seed=i)
    return tmp_path / "images"


def _examples(images: Path, count: int = 1) -> list[VisionLanguageExample]:
    texts = ["cat dog", "the house is a tree of river", "sun"]
    return [
        VisionLanguageExample(f"g{i}", text, tuple(f"img{(i + k) % 3}" for k in range(count)), str(images), LABELS[i])
        for i, text in enumerate(texts)
    ]


def test_features_keep_uint8_pixels_through_the_cache_and_collate(
    tiny_model: Path, images: Path, tmp_path: Path
) -> None:
    _, tokenizer = load_encoder(str(tiny_model))
    features = VISION_LANGUAGE.featurize(_examples(images), tokenizer, LABELS, _settings(), training=True)
    assert features.arrays["pixels"].shape == (3, 1, 3, 16, 16) and features.arrays["pixels"].dtype == np.uint8
    red = features.arrays["pixels"][0, 0, :, 8, 8]
    assert red[0] > 150 and red[1] < 100 and red[2] < 100  # img0 is the red one, channels first
    features.save(tmp_path / "f.safetensors")
    again = Features.load(tmp_path / "f.safetensors")
    assert np.array_equal(again.arrays["pixels"], features.arrays["pixels"])
    assert again.fingerprint() == features.fingerprint()
    again.arrays["pixels"][1, 0, 0, 0, 0] ^= 1
    assert again.fingerprint() != features.fingerprint()
    batch = collate(features, [2, 0], tokenizer.pad_token_id, with_targets=True)
    assert batch["pixels"].dtype == torch.uint8 and batch["pixels"].shape == (2, 1, 3, 16, 16)
    assert torch.equal(batch["pixels"][1], torch.from_numpy(features.arrays["pixels"][0]))
    assert batch["label"].tolist() == [2, 0]


def test_pair_examples_are_two_pieces_of_one_row(tiny_model: Path, images: Path) -> None:
    _, tokenizer = load_encoder(str(tiny_model))
    features = VISION_LANGUAGE_PAIR.featurize(_examples(images, 2), tokenizer, LABELS, _settings(), True)
    assert features.arrays["pixels"].shape == (3, 2, 3, 16, 16)
    batch = collate(features, [0, 1], tokenizer.pad_token_id, with_targets=False)
    assert batch["input_ids"].shape[0] == 4  # two pieces per example
    assert torch.equal(batch["input_ids"][0], batch["input_ids"][1])
    encoder, _ = load_encoder(str(tiny_model))
    head = PairFusionHead(encoder.config.hidden_size, 2, 0.0, image_size=16)
    assert head(encoder, batch).shape == (2, 2)


def test_an_image_count_the_kind_does_not_take_is_an_error(tiny_model: Path, images: Path) -> None:
    _, tokenizer = load_encoder(str(tiny_model))
    with pytest.raises(ValueError, match="has 1 images; its kind takes 2"):
        VISION_LANGUAGE_PAIR.featurize(_examples(images), tokenizer, LABELS, _settings(), True)


def test_a_missing_image_names_the_reference_and_root(tiny_model: Path, images: Path) -> None:
    _, tokenizer = load_encoder(str(tiny_model))
    bad = [VisionLanguageExample("g", "cat", ("nowhere",), str(images), "neutral")]
    with pytest.raises(XstiltsError, match=r"image 'nowhere' not found under .*images"):
        VISION_LANGUAGE.featurize(bad, tokenizer, LABELS, _settings(), False)


def _bert(tmp_path: Path) -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=37)
    ids = torch.randint(5, 50, (2, 7))
    mask = torch.ones_like(ids)
    mask[1, 4:] = 0
    return BertModel(config, add_pooling_layer=False).eval(), {
        "input_ids": ids * mask,
        "attention_mask": mask,
        "token_type_ids": torch.zeros_like(ids),
    }


def _xlmr(tiny_model: Path) -> tuple[torch.nn.Module, dict[str, torch.Tensor]]:
    encoder, tokenizer = load_encoder(str(tiny_model))
    batch = tokenizer(["cat dog house", "sun"], padding=True, return_tensors="pt")
    return encoder.eval(), dict(batch)


@pytest.mark.parametrize("architecture", ["xlmr", "bert"])
def test_text_only_outputs_are_the_encoders_own(architecture: str, tiny_model: Path, tmp_path: Path) -> None:
    encoder, batch = _xlmr(tiny_model) if architecture == "xlmr" else _bert(tmp_path)
    head = EarlyFusionHead(encoder.config.hidden_size, 3, 0.0, image_size=16)
    with torch.no_grad():
        fused, count = head.fused(encoder, batch)
        plain = last_hidden(encoder, batch)
    assert count == 0
    real = batch["attention_mask"].bool()
    torch.testing.assert_close(fused[real], plain[real], rtol=0, atol=1e-6)
    # With image tokens the text keeps its positions, so only attention to the image changes it.
    batch["pixels"] = torch.full((2, 1, 3, 16, 16), 128, dtype=torch.uint8)
    with torch.no_grad():
        with_image, count = head.fused(encoder, batch)
    assert count == 4 and with_image.shape == (2, 4 + plain.shape[1], plain.shape[2])
    assert not torch.allclose(with_image[:, count:][real], plain[real])


def _region_file(path: Path, count: int, dimensions: int) -> Path:
    rng = np.random.default_rng(0)
    boxes = np.asarray([[0, 0, 50, 100], [50, 0, 100, 100], [10, 10, 20, 30]][:count], dtype=np.float32)
    np.savez(path, features=rng.random((count, dimensions)).astype(np.float32), boxes=boxes, image_w=100, image_h=200)
    return path


def test_region_features_are_normalised_padded_and_masked(tiny_model: Path, tmp_path: Path) -> None:
    path = _region_file(tmp_path / "7.npz", 3, 8)
    features, boxes = load_regions(path, regions=4, dimensions=8)
    assert features.shape == (4, 8) and not features[3].any()
    np.testing.assert_allclose(boxes[0], [0, 0, 0.5, 0.5, 0.25])  # x/w, y/h, then the area share (VOLTA)
    np.testing.assert_allclose(boxes[2], [0.1, 0.05, 0.2, 0.15, 0.01], atol=1e-7)
    assert not boxes[3].any()
    with pytest.raises(DataFormatError, match="expected \\(N, 16\\)"):
        load_regions(path, regions=4, dimensions=16)
    with pytest.raises(DataFormatError, match="more than the 2 configured"):
        load_regions(path, regions=2, dimensions=8)

    encoder, tokenizer = load_encoder(str(tiny_model))
    examples = [VisionLanguageExample("g", "cat dog", ("7.jpg",), str(tmp_path), "neutral")]
    feats = VISION_LANGUAGE.featurize(examples, tokenizer, LABELS, _settings(vision_stem="regions"), False)
    assert set(feats.arrays) == {"regions", "boxes"} and feats.arrays["regions"].dtype == np.float32
    batch = collate(feats, [0], tokenizer.pad_token_id, with_targets=False)
    head = EarlyFusionHead(encoder.config.hidden_size, 3, 0.0, vision_stem="regions", regions=4, region_dimensions=8)
    hidden, count = head.fused(encoder.eval(), batch)
    assert count == 4
    # The padded fourth region attends to nothing and is attended by nothing: the text does not depend on it.
    changed = {k: v.clone() for k, v in batch.items()}
    changed["regions"][0, 0, 3] = 100.0
    again, _ = head.fused(encoder, changed)
    torch.testing.assert_close(again[:, count:], hidden[:, count:])


def _tiny_tower(directory: Path) -> Path:
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    config = CLIPVisionConfig(
        hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, image_size=16, patch_size=8
    )
    torch.manual_seed(0)
    CLIPVisionModel(config).save_pretrained(directory)
    CLIPImageProcessor(image_mean=[0.5, 0.4, 0.3], image_std=[0.2, 0.25, 0.3]).save_pretrained(directory)
    return directory


def test_a_frozen_tower_does_not_train_while_its_projection_does(tiny_model: Path, tmp_path: Path) -> None:
    tower = _tiny_tower(tmp_path / "tower")
    encoder, tokenizer = load_encoder(str(tiny_model))
    spec = {"kind": "vision_language", "num_labels": 3, "labels": list(LABELS)}
    options = {"vision_stem": "tower", "vision_tower": str(tower), "image_size": 16, "vision_lr": 1e-2}
    model = MultiTaskModel(encoder, {"xvnli": spec | {"options": options}})
    head = model.heads["xvnli"]
    assert isinstance(head, EarlyFusionHead)
    stem = head.stem
    assert not any(p.requires_grad for p in stem.tower.parameters())  # type: ignore[union-attr]
    torch.testing.assert_close(stem.mean.flatten(), torch.tensor([0.5, 0.4, 0.3]))  # type: ignore[union-attr]
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = _optimizer(model, TrainingSettings(lr=1e-3), torch.device("cpu"))
    assert sorted(g["lr"] for g in optimizer.param_groups) == [1e-3, 1e-3, 1e-2, 1e-2]
    own = [id(p) for g in optimizer.param_groups if g["lr"] == 1e-2 for p in g["params"]]
    assert set(own) == {id(p) for p in stem.parameters() if p.requires_grad}
    model.train()
    assert not stem.tower.training  # type: ignore[union-attr]
    batch = dict(tokenizer(["cat dog", "sun"], padding=True, return_tensors="pt"))
    batch |= {"pixels": torch.randint(0, 255, (2, 1, 3, 16, 16), dtype=torch.uint8), "label": torch.tensor([0, 2])}
    model.loss("xvnli", model("xvnli", batch), batch).backward()
    optimizer.step()
    after = model.state_dict()
    tower_keys = [k for k in after if ".stem.tower." in k]
    assert tower_keys and all(torch.equal(after[k], before[k]) for k in tower_keys)
    assert not torch.equal(
        after["heads.xvnli.stem.tokens.project.weight"], before["heads.xvnli.stem.tokens.project.weight"]
    )


def test_a_tower_of_another_image_size_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    tower = _tiny_tower(tmp_path / "tower")
    with pytest.raises(ValueError, match="takes 16px images; image_size is 32"):
        EarlyFusionHead(32, 3, 0.0, vision_stem="tower", vision_tower=str(tower), image_size=32)


def test_vision_settings_enter_only_vision_language_tasks_data() -> None:
    settings = TrainingSettings()
    assert "image_size" not in settings.data_part("classification")
    assert "vision_lr" not in settings.optimizer_part()
    vision = settings.data_part("vision_language")
    assert {"vision_stem", "image_size", "vision_lr"} <= set(vision)
    assert json.dumps(EarlyFusionHead.options(vision), sort_keys=True)  # head options are JSON (heads.json)
