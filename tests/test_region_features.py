"""Region features in IGLUE's H5 layout (a group per image id: features, boxes, img_w, img_h, as e-bug/volta's
``features_extraction/detectron2_proposal_maxnms.py`` writes them) read exactly as the per-image npz files are,
and the npy / LMDB releases refused because they hold pickles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xstilts.data.examples import VisionLanguageExample
from xstilts.data.images import load_region_features, load_regions
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.kinds.vision_language import VISION_LANGUAGE, VisionLanguageSettings

h5py = pytest.importorskip("h5py")

BOXES = np.asarray([[0, 0, 50, 100], [50, 0, 100, 100], [10, 10, 20, 30]], dtype=np.float32)


def _features(count: int, dimensions: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((count, dimensions)).astype(np.float32)


def _write_h5(path: Path, images: dict[str, np.ndarray], width: int = 100, height: int = 200) -> Path:
    with h5py.File(path, "w") as f:
        for image_id, features in images.items():
            group = f.create_group(image_id)
            group["features"] = features
            group["boxes"] = BOXES[: len(features)]
            group["obj_id"] = np.arange(len(features))
            group["obj_conf"] = np.ones(len(features), dtype=np.float32)
            group["img_w"] = width
            group["img_h"] = height
    return path


def test_h5_regions_match_the_npz_path_exactly(tmp_path: Path) -> None:
    features = _features(3, 8)
    h5_root, npz_root = tmp_path / "h5", tmp_path / "npz"
    h5_root.mkdir()
    npz_root.mkdir()
    _write_h5(h5_root / "test_boxes36.h5", {"1000092795": features, "other": _features(2, 8, seed=1)})
    np.savez(npz_root / "1000092795.npz", features=features, boxes=BOXES, image_w=100, image_h=200)
    from_h5 = load_region_features(h5_root, "1000092795.jpg", regions=4, dimensions=8)
    from_npz = load_regions(npz_root / "1000092795.npz", regions=4, dimensions=8)
    for a, b in zip(from_h5, from_npz, strict=True):
        np.testing.assert_array_equal(a, b)
    regions, boxes = from_h5
    np.testing.assert_array_equal(regions[:3], features)
    assert not regions[3].any() and not boxes[3].any()  # padding: zeros, so image_mask leaves it out
    np.testing.assert_allclose(boxes[1], [0.5, 0, 1.0, 0.5, 0.25])  # x / img_w, y / img_h, area share
    np.testing.assert_allclose(boxes[2], [0.1, 0.05, 0.2, 0.15, 0.01], atol=1e-7)


def test_the_kind_reads_h5_features_by_id_and_the_npz_wins_where_both_exist(tiny_model: Path, tmp_path: Path) -> None:
    from xstilts.models.encoder import load_encoder

    _write_h5(tmp_path / "a_train.h5", {"7": _features(2, 8, seed=3)})
    _write_h5(tmp_path / "b_test.h5", {"8": _features(3, 8, seed=4), "7": _features(3, 8, seed=5)})
    _, tokenizer = load_encoder(str(tiny_model))
    settings = VisionLanguageSettings(
        max_length=16, vision_stem="regions", image_size=16, regions=4, region_dimensions=8
    )
    examples = [VisionLanguageExample(f"g{i}", "cat", (ref,), str(tmp_path), None) for i, ref in enumerate(["7", "8"])]
    arrays = VISION_LANGUAGE.featurize(examples, tokenizer, ("a", "b"), settings, False).arrays
    assert arrays["regions"].shape == (2, 1, 4, 8)
    np.testing.assert_array_equal(arrays["regions"][0, 0, :2], _features(2, 8, seed=3))  # first file in name order
    np.testing.assert_array_equal(arrays["regions"][1, 0, :3], _features(3, 8, seed=4))
    assert (np.abs(arrays["boxes"][0, 0]).sum(-1) > 0).sum() == 2  # two real regions, two padded


def test_missing_ids_wrong_shapes_and_missing_fields_name_the_file(tmp_path: Path) -> None:
    path = _write_h5(tmp_path / "test_boxes36.h5", {"1": _features(3, 8), "big": _features(3, 8)})
    with h5py.File(path, "a") as f:
        no_height = f.create_group("no_height")
        no_height["features"], no_height["boxes"], no_height["img_w"] = _features(3, 8), BOXES, 10
        bad_boxes = f.create_group("bad_boxes")
        bad_boxes["features"], bad_boxes["boxes"], bad_boxes["img_w"], bad_boxes["img_h"] = (
            _features(3, 8),
            BOXES[:, :2],
            10,
            10,
        )
    with pytest.raises(XstiltsError, match=r"image 'nope\.jpg' not found: .*nope\.npz or in test_boxes36\.h5"):
        load_region_features(tmp_path, "nope.jpg", regions=4, dimensions=8)
    with pytest.raises(DataFormatError, match=r"test_boxes36\.h5 \[1\].*expected \(N, 16\)"):
        load_region_features(tmp_path, "1", regions=4, dimensions=16)
    with pytest.raises(DataFormatError, match="3 regions, more than the 2 configured"):
        load_region_features(tmp_path, "big", regions=2, dimensions=8)
    with pytest.raises(DataFormatError, match="lack image_h"):
        load_region_features(tmp_path, "no_height", regions=4, dimensions=8)
    with pytest.raises(DataFormatError, match=r"'boxes' has shape \(3, 2\), expected \(3, 4\)"):
        load_region_features(tmp_path, "bad_boxes", regions=4, dimensions=8)


def test_npy_and_lmdb_releases_are_refused_because_they_are_pickles(tmp_path: Path) -> None:
    npy = tmp_path / "npy"
    npy.mkdir()
    np.save(npy / "42.npy", _features(10, 8))
    np.save(npy / "42_info.npy", np.asarray({"bbox": BOXES}, dtype=object), allow_pickle=True)
    with pytest.raises(DataFormatError, match=r"42_info\.npy.*pickled dict.*42\.npz"):
        load_region_features(npy, "42.jpg", regions=4, dimensions=8)
    lmdb = tmp_path / "lmdb"
    lmdb.mkdir()
    (lmdb / "data.mdb").write_bytes(b"\0" * 16)
    with pytest.raises(DataFormatError, match=r"data\.mdb.*pickled items"):
        load_region_features(lmdb, "42", regions=4, dimensions=8)


def test_a_file_that_is_not_h5_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "features.h5").write_text("not hdf5", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"features\.h5.*not a readable H5 file"):
        load_region_features(tmp_path, "1", regions=4, dimensions=8)
