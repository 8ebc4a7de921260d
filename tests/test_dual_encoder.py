"""The contrastive dual-encoder kind: InfoNCE on known vectors, the featurizer's rows and pieces, ranking with
ties and the full-pool MRR, the head on a tiny model, and the gradient under two gloo processes equal to one
process's on the whole batch."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file
from torch.nn import functional as F
from transformers import AutoModel, AutoTokenizer

from tests.builders import LANGUAGE_WORDS
from xstilts.data.batching import collate
from xstilts.data.examples import ContrastivePair, RetrievalExample, RetrievalItem
from xstilts.data.features import Features
from xstilts.kinds.dual_encoder import DUAL_ENCODER, DualEncoderHead, DualEncoderSettings, item_key, rank_set
from xstilts.metrics.ranking import code_search_mrr, ranked_map20
from xstilts.models.contrastive import info_nce
from xstilts.models.multitask import MultiTaskModel


def _unit(*rows: list[float]) -> torch.Tensor:
    return F.normalize(torch.tensor(rows, dtype=torch.float32), dim=-1)


def test_info_nce_is_cross_entropy_over_the_in_batch_pool() -> None:
    queries, positives = _unit([1, 0], [0, 1], [1, 1]), _unit([1, 0.2], [0.1, 1], [1, 0.9])
    keys = torch.tensor([1, 2, 3])
    loss = info_nce(queries, positives, torch.zeros((0, 2)), keys, temperature=0.5)
    by_hand = 0.0
    for i in range(3):
        logits = [float(queries[i] @ positives[j]) / 0.5 for j in range(3)]
        by_hand += -logits[i] + math.log(sum(math.exp(x) for x in logits))
    assert loss.item() == pytest.approx(by_hand / 3, rel=1e-6)


def test_a_repeated_positive_is_not_its_own_negative_and_hard_negatives_join_the_pool() -> None:
    queries, positives = _unit([1, 0], [0, 1]), _unit([1, 0], [1, 0])  # both rows' positive is one item
    same = info_nce(queries, positives, torch.zeros((0, 2)), torch.tensor([7, 7]), temperature=1.0)
    assert same.item() == pytest.approx(0.0, abs=1e-6)  # each query's pool is its positive alone
    hard = _unit([0, 1], [1, 0])
    with_hard = info_nce(queries, positives, hard, torch.tensor([7, 7]), temperature=1.0)
    logits0 = [1.0, 0.0]  # query 0: its positive (1), hard negatives [0, 1] -> 0 and [1, 0] -> 1
    expected0 = -logits0[0] + math.log(math.exp(1.0) + math.exp(0.0) + math.exp(1.0))
    logits1 = [0.0, 1.0, 0.0]  # query 1: positive 0, hard negatives 1 and 0
    expected1 = -logits1[0] + math.log(sum(math.exp(x) for x in logits1))
    assert with_hard.item() == pytest.approx((expected0 + expected1) / 2, rel=1e-6)


def _pairs(n: int, negatives: int = 0) -> list[ContrastivePair]:
    en, de = LANGUAGE_WORDS["en"], LANGUAGE_WORDS["de"]
    return [
        ContrastivePair(
            f"p{i}",
            RetrievalItem(f"q{i}", " ".join(en[i % 10 :][:3])),
            RetrievalItem(f"c{i}", " ".join(de[i % 10 :][:2])),
            tuple(RetrievalItem(f"n{i}-{k}", de[(i + k + 3) % 10]) for k in range(negatives)),
        )
        for i in range(n)
    ]


def test_featurizer_puts_query_positive_and_negatives_in_one_row(tiny_model: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    pairs = _pairs(3, negatives=2)
    features = DUAL_ENCODER.featurize(pairs, tokenizer, [], DualEncoderSettings(max_length=16), True)
    assert len(features) == 3
    assert features.column("text_lengths").role == "pieces"
    assert features.column("positive_key").role == "target"
    query = tokenizer(pairs[0].query.text)["input_ids"]
    positive = tokenizer(pairs[0].positive.text)["input_ids"]
    assert features.sequences["input_ids"][0][: len(query) + len(positive)] == query + positive
    assert len(features.sequences["text_lengths"][0]) == 4
    assert features.scalars["positive_key"][0] == item_key(pairs[0].positive)
    batch = collate(features, [0, 1], tokenizer.pad_token_id, with_targets=True)
    assert batch["input_ids"].shape[0] == 8 and batch["positive_key"].tolist() == features.scalars["positive_key"][:2]
    with pytest.raises(ValueError, match="different numbers of hard negatives"):
        DUAL_ENCODER.featurize([*_pairs(1), *_pairs(1, 1)], tokenizer, [], DualEncoderSettings(max_length=16), True)


def test_ranking_counts_ties_in_pool_order_and_mrr_is_over_the_whole_pool() -> None:
    pool = tuple(RetrievalItem(f"c{i}", f"code {i}") for i in range(25))
    queries = (RetrievalItem("q0", "a"), RetrievalItem("q1", "b"))
    example = RetrievalExample("set", queries, pool, (("q0", "c3"), ("q1", "c24")))
    candidates = np.zeros((25, 2), np.float32)
    candidates[:, 0] = 1.0  # every candidate ties for q0 = [1, 0] ...
    candidates[24] = [0.0, 1.0]  # ... except c24, q1's gold, the farthest from q0 and the nearest to q1
    ranked = rank_set(example, np.array([[1.0, 0.0], [0.0, 1.0]], np.float32), candidates)
    assert ranked["q0"]["gold_rank"] == 4  # c0, c1, c2 tie with c3 and come first
    assert ranked["q0"]["ranking"][:4] == ["c0", "c1", "c2", "c3"] and len(ranked["q0"]["ranking"]) == 20
    assert ranked["q1"]["gold_rank"] == 1
    predictions = {"set": ranked}
    assert code_search_mrr([example], predictions)["mrr"] == pytest.approx((1 / 4 + 1) / 2 * 100)
    assert ranked_map20([example], predictions)["map@20"] == pytest.approx((1 / 4 + 1) / 2 * 100)
    far = {"set": {**ranked, "q0": {**ranked["q0"], "gold_rank": 25}}}  # beyond the top 20: still counted
    assert code_search_mrr([example], far)["mrr"] == pytest.approx((1 / 25 + 1) / 2 * 100)


def test_head_pools_the_chosen_layer_and_decodes_rankings(tiny_model: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    encoder = AutoModel.from_pretrained(tiny_model)
    options = {"layer": 1, "pooling": "cls", "temperature": 0.1}
    model = MultiTaskModel(encoder, {"s": {"kind": "dual_encoder", "num_labels": 0, "options": options}})
    features = DUAL_ENCODER.featurize(_pairs(2), tokenizer, [], DualEncoderSettings(max_length=16), True)
    batch = collate(features, [0, 1], tokenizer.pad_token_id, with_targets=True)
    model.eval()
    with torch.no_grad():
        outputs = model("s", batch)
        layer = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], output_hidden_states=True)
    assert torch.allclose(outputs, layer.hidden_states[1][:, 0])
    assert model.loss("s", outputs, batch).item() > 0
    with pytest.raises(ValueError, match="outside this encoder's layers"):
        DualEncoderHead(32, 0, 0.1, layer=9).bind(encoder)

    pool = tuple(pair.positive for pair in _pairs(4))
    example = RetrievalExample(
        "dev", tuple(p.query for p in _pairs(4)), pool, tuple((f"q{i}", f"c{i}") for i in range(4))
    )
    eval_features = DUAL_ENCODER.featurize([example], tokenizer, [], DualEncoderSettings(max_length=16), False)
    eval_batch = collate(eval_features, list(range(len(eval_features))), tokenizer.pad_token_id, with_targets=False)
    with torch.no_grad():
        vectors = model("s", eval_batch).numpy()
    predictions = DUAL_ENCODER.decode([example], eval_features, list(vectors), [], {})
    assert set(predictions["dev"]) == {"q0", "q1", "q2", "q3"}
    assert all(1 <= record["gold_rank"] <= 4 for record in predictions["dev"].values())
    assert '"q0"' in DUAL_ENCODER.render([example], predictions)


# --- two processes ---------------------------------------------------------------------------------------------------


def _loss_and_grads(queries: torch.Tensor, positives: torch.Tensor, keys: torch.Tensor, valid: int | None = None):
    q, p = queries.clone().requires_grad_(True), positives.clone().requires_grad_(True)
    loss = info_nce(q, p, torch.zeros((0, q.shape[1])), keys, temperature=0.2, valid=valid)
    return loss, q, p


def _worker(rank: int, init: str, queries: torch.Tensor, positives: torch.Tensor, keys: torch.Tensor, out: str) -> None:
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=2)
    try:
        rows = list(range(rank, len(queries), 2))  # the loop's share of a global batch: indices[rank::processes]
        loss, q, p = _loss_and_grads(queries[rows], positives[rows], keys[rows])
        weight = len(rows) * 2 / len(queries)
        (loss * weight).backward()
        # DDP averages parameter gradients over processes; these are gradients of inputs, averaged the same way
        grads = torch.zeros_like(queries), torch.zeros_like(positives)
        grads[0][rows], grads[1][rows] = q.grad, p.grad
        for g in grads:
            dist.all_reduce(g)
            g /= 2
        if rank == 0:
            save_file({"q": grads[0].contiguous(), "p": grads[1].contiguous()}, out)
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_two_processes_give_the_one_process_gradient_of_the_whole_batch(tmp_path: Path) -> None:
    generator = torch.Generator().manual_seed(0)
    queries, positives = torch.randn(7, 4, generator=generator), torch.randn(7, 4, generator=generator)
    keys = torch.tensor([1, 2, 3, 1, 5, 6, 7])  # rows 0 and 3 share their positive item (across processes)
    loss, q, p = _loss_and_grads(queries, positives, keys)
    loss.backward()
    out = tmp_path / "rank0.safetensors"
    init = f"file://{tempfile.mktemp(dir=tmp_path)}"
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    mp.spawn(_worker, args=(init, queries, positives, keys, str(out)), nprocs=2, join=True)
    result = load_file(out)
    assert torch.allclose(result["q"], q.grad, atol=1e-6)
    assert torch.allclose(result["p"], p.grad, atol=1e-6)


def test_features_survive_the_cache_round_trip(tiny_model: Path, tmp_path: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    features = DUAL_ENCODER.featurize(_pairs(3, 1), tokenizer, [], DualEncoderSettings(max_length=16), True)
    features.save(tmp_path / "f.safetensors")
    loaded = Features.load(tmp_path / "f.safetensors")
    assert loaded.fingerprint() == features.fingerprint() and loaded.columns == features.columns
