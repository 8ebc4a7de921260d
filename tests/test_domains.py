"""The report's grouping of intermediate variants by domain (code / natural language / mix) and its one-table
answer: the margin of code over natural-language intermediates per target task, with numbers known by hand."""

from __future__ import annotations

import pytest

from xstilts.analysis.domains import CODE, MIX, NATURAL_LANGUAGE, domain_tables, margin_rows, variant_domains


def _phases() -> list[dict]:
    intermediate = {"csn_pair": "csn_pair", "mnli": "mnli", "squad_v1": "squad_v1", "csn_pair+mnli": "csn_pair+mnli"}
    return [{"role": "intermediate", "variant": v, "tasks": t, "seed": 1} for v, t in intermediate.items()] + [
        {"role": "evaluate", "variant": "baseline", "tasks": "xnli", "seed": 1}
    ]


def _table() -> dict:
    table = {}
    for seed, shift in ((1, 0.0), (2, 2.0)):
        table[("xnli", "baseline", seed)] = {"en": 80.0 + shift, "de": 70.0 + shift}
        table[("xnli", "csn_pair", seed)] = {"en": 81.0 + shift, "de": 69.0 + shift}  # Δ 0 (seed 1), 0 (seed 2)
        table[("xnli", "mnli", seed)] = {"en": 82.0 + shift + seed, "de": 72.0 + shift + seed}  # Δ 2 + seed
        table[("xnli", "squad_v1", seed)] = {"en": 80.0 + shift, "de": 70.0 + shift}  # Δ 0
        table[("xnli", "csn_pair+mnli", seed)] = {"en": 81.0 + shift, "de": 71.0 + shift}  # Δ 1
    return table


def test_variants_get_the_domain_of_their_tasks() -> None:
    assert variant_domains(_phases()) == {
        "csn_pair": CODE,
        "mnli": NATURAL_LANGUAGE,
        "squad_v1": NATURAL_LANGUAGE,
        "csn_pair+mnli": MIX,
    }
    unknown = [{"role": "intermediate", "variant": "x", "tasks": "not_a_task", "seed": 1}]
    assert variant_domains(unknown) == {}


def test_margin_of_code_over_natural_language_per_task() -> None:
    (row,) = margin_rows(_table(), variant_domains(_phases()))
    task, code, natural, mix, margin, low, high, p, seeds = row
    assert task == "xnli" and seeds == 2
    assert code == pytest.approx(0.0) and mix == pytest.approx(1.0)
    # NL per seed: mean of mnli (3, then 4) and squad_v1 (0): 1.5 and 2.0
    assert natural == pytest.approx(1.75)
    assert margin == pytest.approx(-1.75)
    assert low == pytest.approx(-2.0) and high == pytest.approx(-1.5)
    assert p == pytest.approx(0.5)  # two seeds: the exact sign-flip test's floor


def test_no_table_without_both_domains() -> None:
    phases = [p for p in _phases() if p["variant"] != "csn_pair" and p["variant"] != "csn_pair+mnli"]
    assert domain_tables(_table(), phases) == []
    tables = domain_tables(_table(), _phases())
    assert [t.name for t in tables] == ["code-vs-nl", "code-vs-nl-languages"]
    languages = {(r[0], r[1]): r for r in tables[1].rows}
    assert languages[("xnli", "de")][2] == pytest.approx(-1.0)  # csn_pair: 69 − 70 in both seeds
