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


@pytest.mark.slow
def test_a_tiny_code_vs_nl_run_reports_the_margin_table(tiny_model, tmp_path) -> None:
    """The demo's shape on the tiny model: baseline, an NL and a code intermediate, the demo NLI target."""
    from typer.testing import CliRunner

    from xstilts.cli import app

    spec = tmp_path / "e.yaml"
    spec.write_text(
        f"name: cv\nmodel: {tiny_model}\nintermediate: [none, demo_para, pydoc_pair]\ntarget: [demo_nli]\n"
        "training: {lr: 1.0e-3, batch_size: 16, max_length: 32, epochs: 1, eval_batch_size: 64,"
        " max_train_examples: 32, max_eval_examples: 16}\n"
        "tasks: {demo_nli: {languages: [en, de]}}\n"
    )
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "run" / "report" / "index.html").read_text()
    assert "Code vs natural-language intermediate tasks" in page
    assert "Margin of code over natural-language intermediates" in page
    assert (tmp_path / "run" / "report" / "tables" / "code-vs-nl.csv").exists()
