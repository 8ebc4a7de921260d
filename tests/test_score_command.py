"""`xstilts score`: a submission folder in XTREME's layout scored against a labels folder, as evaluate.py does.

Every expected value is computed by hand in the comment beside it, from small files the tests write in the
official formats."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import experiment_yaml
from xstilts.benchmarks import RETRIEVAL_LAREQA_NOTE, TASK_GROUPS, TASK_LANGUAGES
from xstilts.cli import app
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.evaluation.submission import FORMATS, NOTES_KEY, official_output, score_submission


def _write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _squad(questions: dict[str, list[str]]) -> str:
    """SQuAD v1.1 labels: one paragraph per question whose context holds its gold answers."""
    paragraphs = []
    for qid, answers in questions.items():
        context = " ; ".join(answers)
        gold = [{"text": answer, "answer_start": context.index(answer)} for answer in answers]
        qas = [{"id": qid, "question": "q?", "answers": gold}]
        paragraphs.append({"context": context, "qas": qas})
    return json.dumps({"version": "1.1", "data": [{"title": "t", "paragraphs": paragraphs}]}, ensure_ascii=False)


def _score(tmp_path: Path, benchmark: str = "xtreme") -> dict:
    return score_submission(tmp_path / "pred", tmp_path / "gold", benchmark)  # type: ignore[arg-type]


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


# --- one task format at a time -----------------------------------------------------------------------------


def test_classification_accuracy_per_language_and_json_nesting(tmp_path: Path) -> None:
    _write(tmp_path, "gold/xnli/test-en.tsv", "entailment\nneutral\ncontradiction\nneutral\n")
    _write(tmp_path, "pred/xnli/test-en.tsv", "entailment\nneutral\nneutral\nneutral\n")  # 3/4
    _write(tmp_path, "gold/xnli/test-de.tsv", "neutral\ncontradiction\n")
    _write(tmp_path, "pred/xnli/test-de.tsv", "neutral\nneutral\n")  # 1/2
    _write(tmp_path, "gold/pawsx/test-fr.tsv", "1\n0\n1\n0\n0\n")
    _write(tmp_path, "pred/pawsx/test-fr.tsv", "1\n0\n1\n1\n1\n")  # 3/5
    code, output = _invoke(
        "score",
        "--predictions",
        str(tmp_path / "pred"),
        "--labels",
        str(tmp_path / "gold"),
        "--benchmark",
        "xtreme",
        "--json",
    )
    assert code == 0, output
    result = json.loads(output)  # evaluate.py's output file: tasks (and groups, all_task) at the top level
    xnli = result["xnli"]
    assert xnli["accuracy"] == {"en": 75.0, "de": 50.0}  # task -> metric -> language -> value
    assert xnli["avg_accuracy"] == pytest.approx(62.5) and xnli["avg_metric"] == pytest.approx(62.5)
    assert result["pawsx"] == {"accuracy": {"fr": 60.0}, "avg_accuracy": 60.0, "avg_metric": 60.0}
    # pawsx and xnli lack languages: no group score and no all_task (absent, as evaluate.py leaves them out)
    assert set(result) == {"xnli", "pawsx", NOTES_KEY}
    notes = result[NOTES_KEY]
    assert notes["incomplete_tasks"]["xnli"] == [
        lang for lang in TASK_LANGUAGES["xtreme"]["xnli"] if lang not in ("en", "de")
    ]
    assert any("partial folder" in note for note in notes["notes"])


def test_tagging_f1_from_tag_files(tmp_path: Path) -> None:
    # PAN-X: gold spans PER, LOC (sentence 1) and ORG (sentence 2); predicted PER and ORG: P = 1, R = 2/3, F1 = 0.8.
    _write(tmp_path, "gold/panx/test-en.tsv", "B-PER\nI-PER\nO\nB-LOC\n\nO\nB-ORG\n")
    _write(tmp_path, "pred/panx/test-en.tsv", "B-PER\nI-PER\nO\nO\n\nO\nB-ORG\n\n")
    # UD-POS, read by seqeval as prefix + type: gold NOUN | VERB | NOUN (3 spans), predicted NOUN | VERB VERB
    # (2 spans), 1 correct: P = 1/2, R = 1/3, F1 = 0.4.
    _write(tmp_path, "gold/udpos/test-de.tsv", "NOUN\nVERB\nNOUN\n")
    _write(tmp_path, "pred/udpos/test-de.tsv", "NOUN\nVERB\nVERB\n")
    tasks = _score(tmp_path)["tasks"]
    assert tasks["panx"]["f1"]["en"] == pytest.approx(80.0)
    assert tasks["panx"]["precision"]["en"] == pytest.approx(100.0)
    assert tasks["panx"]["recall"]["en"] == pytest.approx(200 / 3)
    assert tasks["udpos"]["f1"]["de"] == pytest.approx(40.0) and tasks["udpos"]["avg_metric"] == pytest.approx(40.0)


def test_squad_exact_match_and_f1_for_xquad_and_tydiqa(tmp_path: Path) -> None:
    gold = _squad({"q1": ["Eiffel Tower"], "q2": ["Paris"], "q3": ["1889"]})
    # q1: "the" is an article, EM 1, F1 1. q2: tokens {paris, france} vs {paris}: EM 0, F1 2*(1/2*1)/(3/2) = 2/3.
    # q3 unanswered: 0. EM = 1/3, F1 = (1 + 2/3) / 3 = 5/9; the task score is (EM + F1) / 2 = 4/9.
    answers = json.dumps({"q1": "the Eiffel Tower!", "q2": "Paris France"})
    for task, language in (("xquad", "el"), ("tydiqa", "sw")):
        _write(tmp_path, f"gold/{task}/test-{language}.json", gold)
        _write(tmp_path, f"pred/{task}/test-{language}.json", answers)
    tasks = _score(tmp_path)["tasks"]
    for task, language in (("xquad", "el"), ("tydiqa", "sw")):
        assert tasks[task]["exact_match"][language] == pytest.approx(100 / 3)
        assert tasks[task]["f1"][language] == pytest.approx(500 / 9)
        assert tasks[task]["avg_metric"] == pytest.approx(400 / 9)


def test_mlqa_normalises_by_the_language_of_the_file(tmp_path: Path) -> None:
    # de drops "der" as an article: EM 1. The same pair in the en file keeps it: EM 0, F1 2*(1*1/2)/(3/2) = 2/3.
    _write(tmp_path, "gold/mlqa/test-de.json", _squad({"d1": ["der Hund"]}))
    _write(tmp_path, "pred/mlqa/test-de.json", json.dumps({"d1": "Hund"}))
    _write(tmp_path, "gold/mlqa/test-en.json", _squad({"e1": ["der Hund"]}))
    _write(tmp_path, "pred/mlqa/test-en.json", json.dumps({"e1": "Hund"}))
    # zh segments CJK characters one by one: {北, 京} vs {北, 京, 大, 学}: P = 1, R = 1/2, F1 = 2/3.
    _write(tmp_path, "gold/mlqa/test-zh.json", _squad({"z1": ["北京大学"]}))
    _write(tmp_path, "pred/mlqa/test-zh.json", json.dumps({"z1": "北京"}, ensure_ascii=False))
    mlqa = _score(tmp_path)["tasks"]["mlqa"]
    assert mlqa["exact_match"] == {"de": 100.0, "en": 0.0, "zh": 0.0}
    assert mlqa["f1"]["de"] == 100.0
    assert mlqa["f1"]["en"] == pytest.approx(200 / 3) and mlqa["f1"]["zh"] == pytest.approx(200 / 3)


# The answers of google-research/xtreme's mock MLQA submission (mock_test_data/, one or two questions per
# language; the label contexts are shortened here to the gold answer): (prediction, gold) by language.
OFFICIAL_MLQA_MOCK = {
    "en": [("had sustained skin,", "had sustained skin, liver, and respiratory injuries")],
    "es": [
        (
            "unas estructuras en",
            "unas estructuras en forma de abanico que segu\u00edan un patr\u00f3n de hojas, lenguas y l\u00f3bulos",
        )
    ],
    "de": [("3050 und 3350", "3050 und 3350 Meter")],
    "ar": [
        ("\u0627\u0644\u0637\u0631\u0642 \u0627\u0644\u062a\u0631\u0627\u0628\u064a\u0629",) * 2,
        ("\u0634\u0645\u0627\u0644 \u0634\u0631\u0642",) * 2,
    ],
    "hi": [("\u0909\u0924\u094d\u0924\u0930 \u092a\u0942\u0930\u094d\u0935",) * 2],
    "vi": [("\u0110\u00e0i Loan",) * 2, ("Kh\u00e1ch Gia",) * 2],
    "zh": [("\u7535\u5316\u7535\u6c60",) * 2],
}


def test_mlqa_matches_the_official_evaluate_test(tmp_path: Path) -> None:
    for language, pairs in OFFICIAL_MLQA_MOCK.items():
        _write(tmp_path, f"gold/mlqa/test-{language}.json", _squad({f"q{i}": [g] for i, (_, g) in enumerate(pairs)}))
        _write(tmp_path, f"pred/mlqa/test-{language}.json", json.dumps({f"q{i}": p for i, (p, _) in enumerate(pairs)}))
    mlqa = _score(tmp_path)["tasks"]["mlqa"]
    # evaluate_test.py's TASK2AVG_SCORES["mlqa"], to the last bit.
    assert mlqa["avg_exact_match"] == 57.142857142857146 and mlqa["avg_f1"] == 81.76870748299321


def test_bucc_f1_over_sets_of_pairs(tmp_path: Path) -> None:
    _write(tmp_path, "gold/bucc2018/test-fr.tsv", "fr-1\ten-1\nfr-2\ten-2\nfr-3\ten-3\nfr-4\ten-4\n")
    # A repeated pair counts once: 3 extracted, 2 correct, 4 gold: P = 2/3, R = 1/2, F1 = 4/7.
    _write(tmp_path, "pred/bucc2018/test-fr.tsv", "fr-1\ten-1\nfr-2\ten-2\nfr-3\ten-9\nfr-1\ten-1\n")
    bucc = _score(tmp_path)["tasks"]["bucc2018"]
    assert bucc["f1"]["fr"] == pytest.approx(400 / 7)
    assert bucc["precision"]["fr"] == pytest.approx(200 / 3) and bucc["recall"]["fr"] == pytest.approx(50.0)
    assert bucc["avg_metric"] == pytest.approx(400 / 7)


def test_tatoeba_accuracy_from_index_files(tmp_path: Path) -> None:
    _write(tmp_path, "gold/tatoeba/test-jv.tsv", "3\n1\n2\n0\n")
    _write(tmp_path, "pred/tatoeba/test-jv.tsv", "3\n1\n0\n0\n")  # 3/4
    assert _score(tmp_path)["tasks"]["tatoeba"]["accuracy"] == {"jv": 75.0}


def test_xcopa_accuracy_from_jsonl_labels(tmp_path: Path) -> None:
    _write(
        tmp_path, "gold/xcopa/test-ht.jsonl", '{"idx": 0, "label": 1}\n{"idx": 1, "label": 0}\n{"idx": 2, "label": 0}\n'
    )
    # The third prediction is the string "0", not the number 0: wrong, as evaluate.py compares them. 1/3.
    _write(tmp_path, "pred/xcopa/test-ht.jsonl", '{"label": 1}\n{"label": 1}\n{"label": "0"}\n')
    assert _score(tmp_path, "xtreme-r")["tasks"]["xcopa"]["accuracy"]["ht"] == pytest.approx(100 / 3)


def test_mewslix_mrr_at_20_reported_as_map_at_20(tmp_path: Path) -> None:
    gold = {"m1": ["Q1"], "m2": ["Q2 "], "m3": ["Q3"], "m4": ["Q4"]}
    # Reciprocal ranks: m1 1, m2 1/2 (the gold id is stripped), m3 0 (rank 21 is past the cut), m4 0 (no
    # prediction): (1 + 1/2) / 4 = 37.5%.
    predicted = {"m1": ["Q1", "Q5"], "m2": ["Q7", "Q2"], "m3": [f"X{i}" for i in range(20)] + ["Q3"]}
    _write(tmp_path, "gold/mewslix/test-pl.json", json.dumps(gold))
    _write(tmp_path, "pred/mewslix/test-pl.json", json.dumps(predicted))
    assert _score(tmp_path, "xtreme-r")["tasks"]["mewsli_x"]["map@20"] == {"pl": 37.5}


def test_mewsli_x_folder_spelling_is_accepted_but_not_both(tmp_path: Path) -> None:
    _write(tmp_path, "gold/mewslix/test-pl.json", json.dumps({"m1": ["Q1"]}))
    _write(tmp_path, "pred/mewsli_x/test-pl.json", json.dumps({"m1": ["Q1"]}))
    assert _score(tmp_path, "xtreme-r")["tasks"]["mewsli_x"]["map@20"] == {"pl": 100.0}
    _write(tmp_path, "pred/mewslix/test-pl.json", json.dumps({"m1": ["Q1"]}))
    with pytest.raises(XstiltsError, match="both mewslix/ and mewsli_x/"):
        _score(tmp_path, "xtreme-r")


def test_lareqa_map_at_20(tmp_path: Path) -> None:
    # Golds a1, a2 found at ranks 1 and 3: AP = (1/1 + 2/3) / 2 = 5/6. q2 with nothing found: 0. mAP = 5/12.
    _write(tmp_path, "gold/lareqa/test-th.json", json.dumps({"q1": ["a1", "a2"], "q2": ["b1"]}))
    _write(tmp_path, "pred/lareqa/test-th.json", json.dumps({"q1": ["a1", "x", "a2"], "q2": ["x"]}))
    assert _score(tmp_path, "xtreme-r")["tasks"]["lareqa"]["map@20"]["th"] == pytest.approx(500 / 12)


# --- whole folders ------------------------------------------------------------------------------------------


def _perfect_files(task: str, language: str) -> tuple[str, str]:
    """Label and prediction text for a perfect submission of one file of ``task``."""
    if task in ("xnli", "pawsx"):
        return "a\nb\n", "a\nb\n"
    if task == "xcopa":
        return '{"label": 0}\n', '{"label": 0}\n'
    if task in ("udpos", "panx"):
        return "B-X\nO\n\nO\n", "B-X\nO\n\nO\n"
    if task in ("xquad", "mlqa", "tydiqa"):
        return _squad({"q": ["yes"]}), json.dumps({"q": "yes"})
    if task == "bucc2018":
        return f"{language}-1\ten-1\n", f"{language}-1\ten-1\n"
    if task == "tatoeba":
        return "0\n1\n", "0\n1\n"
    return json.dumps({"q": ["e1"]}), json.dumps({"q": ["e1"]})  # mewsli_x, lareqa


def _full_folder(root: Path, benchmark: str) -> None:
    for task, languages in TASK_LANGUAGES[benchmark].items():
        task_format = FORMATS[task]
        for language in languages:
            gold, predicted = _perfect_files(task, language)
            name = f"{task_format.folders[0]}/test-{language}.{task_format.extension}"
            _write(root, f"gold/{name}", gold)
            _write(root, f"pred/{name}", predicted)


def test_complete_xtreme_folder_gives_groups_and_overall(tmp_path: Path) -> None:
    _full_folder(tmp_path, "xtreme")
    _write(tmp_path, "pred/xnli/test-sw.tsv", "a\na\n")  # xnli sw: 50%; xnli = (14 * 100 + 50) / 15 = 290 / 3
    result = _score(tmp_path)
    assert result["complete"] is True and result["incomplete_tasks"] == {}
    assert result["missing"] == {"predictions": [], "labels": []}
    assert result["tasks"]["xnli"]["avg_metric"] == pytest.approx(290 / 3)
    assert result["groups"]["classification"] == pytest.approx((100 + 290 / 3) / 2)
    assert result["groups"]["qa"] == 100.0 and result["groups"]["tagging"] == 100.0
    assert result["all_task"] == pytest.approx((8 * 100 + 290 / 3) / 9)  # the mean of the 9 tasks, not of the groups


def test_complete_xtreme_r_folder_scores_its_ten_tasks(tmp_path: Path) -> None:
    _full_folder(tmp_path, "xtreme-r")
    _write(tmp_path, "pred/lareqa/test-ar.json", json.dumps({"q": ["x"]}))  # lareqa = 10 * 100 / 11
    result = _score(tmp_path, "xtreme-r")
    assert result["complete"] is True and set(result["tasks"]) == set(TASK_LANGUAGES["xtreme-r"])
    assert result["groups"]["retrieval"] == pytest.approx((100 + 100 + 1000 / 11) / 3)
    assert result["all_task"] == pytest.approx((9 * 100 + 1000 / 11) / 10)


def test_json_of_a_complete_xtreme_folder_has_exactly_evaluate_pys_keys(tmp_path: Path) -> None:
    _full_folder(tmp_path, "xtreme")
    code, output = _invoke(
        "score", "--predictions", str(tmp_path / "pred"), "--labels", str(tmp_path / "gold"), "--benchmark", "xtreme",
        "--json",
    )  # fmt: skip
    assert code == 0, output
    result = json.loads(output)
    assert list(result)[:5] == ["all_task", "classification", "tagging", "qa", "retrieval"]
    assert set(result) == {"all_task", *TASK_GROUPS["xtreme"], *TASK_LANGUAGES["xtreme"]}
    assert result["all_task"] == 100.0 and result["tagging"] == 100.0
    assert set(result["udpos"]) == {"f1", "precision", "recall", "avg_f1", "avg_precision", "avg_recall", "avg_metric"}


def test_json_of_a_complete_xtreme_r_folder_names_mewslix_multi_choice_and_the_lareqa_departure(
    tmp_path: Path,
) -> None:
    _full_folder(tmp_path, "xtreme-r")
    _write(tmp_path, "pred/lareqa/test-ar.json", json.dumps({"q": ["x"]}))  # lareqa = 10 * 100 / 11
    result = official_output(_score(tmp_path, "xtreme-r"))
    assert "mewslix" in result and "mewsli_x" not in result and "lareqa" in result
    assert result["multi_choice"] == result["xcopa"]["avg_metric"] == 100.0  # evaluate.py: XCOPA alone
    assert result["retrieval"] == pytest.approx((100 + 100 + 1000 / 11) / 3)  # LAReQA included, as the paper
    notes = result[NOTES_KEY]
    assert notes["notes"] == [RETRIEVAL_LAREQA_NOTE] and notes["incomplete_tasks"] == {}
    assert notes["missing"] == {"predictions": [], "labels": []}


def test_partial_folder_lists_missing_files_and_marks_aggregates_incomplete(tmp_path: Path) -> None:
    _full_folder(tmp_path, "xtreme")
    (tmp_path / "pred/xnli/test-de.tsv").unlink()
    (tmp_path / "gold/pawsx/test-ja.tsv").unlink()
    for path in (tmp_path / "pred/panx").iterdir():
        path.unlink()
    (tmp_path / "pred/panx").rmdir()
    result = _score(tmp_path)
    assert result["missing"]["predictions"] == ["xnli/test-de.tsv"] + [
        f"panx/test-{lang}.tsv" for lang in TASK_LANGUAGES["xtreme"]["panx"]
    ]
    assert result["missing"]["labels"] == ["pawsx/test-ja.tsv"]
    assert result["incomplete_tasks"] == {"xnli": ["de"], "pawsx": ["ja"]}
    assert "de" not in result["tasks"]["xnli"]["accuracy"] and "panx" not in result["tasks"]
    assert result["complete"] is False and result["all_task"] is None
    assert result["groups"] == {"classification": None, "tagging": None, "qa": 100.0, "retrieval": 100.0}
    official = official_output(result)
    assert official["qa"] == 100.0 and "classification" not in official and "all_task" not in official
    code, output = _invoke(
        "score", "--predictions", str(tmp_path / "pred"), "--labels", str(tmp_path / "gold"), "--benchmark", "xtreme"
    )
    assert code == 0, output
    assert "missing from predictions: xnli/ 1 file(s): test-de.tsv" in output
    assert "missing from predictions: panx/ 40 file(s)" in output and "(+34)" in output
    assert "missing from labels: pawsx/ 1 file(s): test-ja.tsv" in output
    assert "xtreme scores (incomplete)" in output and "missing 1: de" in output


def test_unknown_task_folders_and_other_files_are_reported(tmp_path: Path) -> None:
    _write(tmp_path, "gold/xnli/test-en.tsv", "a\n")
    _write(tmp_path, "pred/xnli/test-en.tsv", "a\n")
    _write(tmp_path, "pred/xnli/dev-en.tsv", "a\n")
    _write(tmp_path, "pred/xnli/test-xx.tsv", "a\n")
    _write(tmp_path, "pred/pawsx/test-en.tsv", "a\n")  # a task of XTREME, not of XTREME-R
    _write(tmp_path, "pred/nosuchtask/test-en.tsv", "a\n")
    result = _score(tmp_path, "xtreme-r")
    assert result["unknown_tasks"] == ["nosuchtask", "pawsx"]
    assert result["ignored_files"] == ["xnli/dev-en.tsv", "xnli/test-xx.tsv"]
    assert result["tasks"]["xnli"]["accuracy"] == {"en": 100.0}


def test_terminal_output_has_language_tables_and_summary(tmp_path: Path) -> None:
    _full_folder(tmp_path, "xtreme")
    code, output = _invoke(
        "score", "--predictions", str(tmp_path / "pred"), "--labels", str(tmp_path / "gold"), "--benchmark", "xtreme"
    )
    assert code == 0, output
    for title in ("xnli · test", "mlqa · test", "bucc2018 · test", "xtreme scores"):
        assert title in output
    assert "exact_match" in output and "all tasks" in output and "incomplete" not in output
    for group in TASK_GROUPS["xtreme"]:
        assert group in output


# --- errors -------------------------------------------------------------------------------------------------


def test_line_count_mismatch_names_both_files(tmp_path: Path) -> None:
    gold = _write(tmp_path, "gold/xnli/test-en.tsv", "a\nb\nc\n")
    predicted = _write(tmp_path, "pred/xnli/test-en.tsv", "a\nb\n")
    with pytest.raises(DataFormatError) as error:
        _score(tmp_path)
    assert str(predicted) in str(error.value) and str(gold) in str(error.value)
    assert "2 lines" in str(error.value) and "has 3" in str(error.value)
    code, output = _invoke(
        "score", "--predictions", str(tmp_path / "pred"), "--labels", str(tmp_path / "gold"), "--benchmark", "xtreme"
    )
    assert code == 2 and "error:" in output and "Traceback" not in output


@pytest.mark.parametrize(
    ("relative", "gold", "predicted", "line", "message"),
    [
        ("panx/test-en.tsv", "B-PER\nO\n", "B-PER\nO PER\n", 2, "one tag per line"),
        ("panx/test-en.tsv", "O\n\nO\nO\n", "O\n\nO\n", 3, "has 1 tags but its label sentence"),
        ("panx/test-en.tsv", "O\n\nO\n", "O\n", None, "1 sentences but the label file"),
        ("tatoeba/test-jv.tsv", "1\n2\n", "1\ntwo\n", 2, "expected a sentence index"),
        ("xnli/test-en.tsv", "a\nb\n", "a\n\nb\n", 2, "empty line"),
        ("bucc2018/test-de.tsv", "de-1\ten-1\n", "de-1\ten-1\nde-2 en-2\n", 2, "two tab-separated sentence ids"),
        ("xquad/test-en.json", _squad({"q": ["x"]}), '{"q": "x",\n "r": }', 2, "invalid JSON"),
        ("xquad/test-en.json", _squad({"q": ["x"]}), '{"q": ["x"]}', None, "question 'q': expected the answer"),
        ("mlqa/test-en.json", _squad({"q": ["x"]}), '["x"]', None, "expected a JSON object"),
    ],
)
def test_malformed_prediction_names_file_and_line(
    tmp_path: Path, relative: str, gold: str, predicted: str, line: int | None, message: str
) -> None:
    _write(tmp_path, f"gold/{relative}", gold)
    path = _write(tmp_path, f"pred/{relative}", predicted)
    with pytest.raises(DataFormatError, match=message) as error:
        _score(tmp_path)
    assert error.value.path == str(path) and error.value.line == line


def test_malformed_labels_name_file_and_field(tmp_path: Path) -> None:
    _write(tmp_path, "gold/mewslix/test-ar.json", json.dumps({"m1": []}))
    _write(tmp_path, "pred/mewslix/test-ar.json", json.dumps({"m1": ["Q1"]}))
    with pytest.raises(DataFormatError, match=r"mewslix/test-ar.json: query 'm1': no gold id"):
        _score(tmp_path, "xtreme-r")
    _write(tmp_path, "gold/mewslix/test-ar.json", json.dumps({"m1": ["Q1"]}))
    _write(tmp_path, "gold/xcopa/test-et.jsonl", '{"label": 0}\n{"idx": 1}\n')
    _write(tmp_path, "pred/xcopa/test-et.jsonl", '{"label": 0}\n{"label": 1}\n')
    with pytest.raises(DataFormatError, match=r"xcopa/test-et.jsonl:2: expected a JSON object with a 'label'"):
        _score(tmp_path, "xtreme-r")


@pytest.mark.parametrize("flag", ["--predictions", "--labels"])
def test_missing_folder_or_unknown_benchmark_exits_2(tmp_path: Path, flag: str) -> None:
    (tmp_path / "pred").mkdir()
    (tmp_path / "gold").mkdir()
    folders = {
        "--predictions": str(tmp_path / "pred"),
        "--labels": str(tmp_path / "gold"),
        flag: str(tmp_path / "none"),
    }
    code, output = _invoke("score", *(x for item in folders.items() for x in item), "--benchmark", "xtreme")
    assert code == 2 and "does not exist" in output and "Traceback" not in output
    code, output = _invoke(
        "score", "--predictions", str(tmp_path / "pred"), "--labels", str(tmp_path / "gold"), "--benchmark", "xtreme-s"
    )
    assert code == 2 and "unknown benchmark 'xtreme-s'" in output


# --- the evaluation phase's own prediction files ------------------------------------------------------------


ONE_EPOCH = "{lr: 5.0e-4, batch_size: 16, max_length: 48, epochs: 1, eval_batch_size: 32}"


def _xnli_labels(data_root: Path, language: str) -> str:
    """The gold labels of one language of XNLI's official test file, in file order."""
    rows = (data_root / "xnli" / "xnli.test.tsv").read_text(encoding="utf-8").splitlines()
    header = rows[0].split("\t")
    fields = [row.split("\t") for row in rows[1:]]
    at_language, at_label = header.index("language"), header.index("gold_label")
    return "".join(f"{f[at_label]}\n" for f in fields if f[at_language] == language)


@pytest.mark.slow
def test_evaluation_phase_predictions_score_as_the_run_scored_them(
    tiny_model: Path, data_root: Path, tmp_path: Path
) -> None:
    spec = tmp_path / "experiment.yaml"
    spec.write_text(
        experiment_yaml(tiny_model, data_root, intermediate="[none]", target="[xnli, xquad]", training=ONE_EPOCH)
    )
    code, output = _invoke("run", str(spec), "--out", str(tmp_path / "run"))
    assert code == 0, output
    submission, labels = tmp_path / "submission", tmp_path / "labels"
    run_scores: dict[str, dict[str, dict[str, float]]] = {}
    for record_path in (tmp_path / "run" / "phases").glob("*/phase.json"):
        phase_dir = record_path.parent
        if not (phase_dir / "predictions").is_dir():
            continue
        (task_dir,) = (phase_dir / "predictions").iterdir()
        shutil.copytree(task_dir, submission / task_dir.name)
        for done in (phase_dir / "languages").glob("*.json"):
            for metric, value in json.loads(done.read_text()).items():
                run_scores.setdefault(task_dir.name, {}).setdefault(metric, {})[done.stem] = value
    assert sorted(run_scores) == ["xnli", "xquad"]
    for language in ("en", "de", "sw"):
        _write(labels, f"xnli/test-{language}.tsv", _xnli_labels(data_root, language))
    for language in ("en", "de"):
        _write(labels, f"xquad/test-{language}.json", (data_root / "xquad" / f"xquad.{language}.json").read_text())

    code, output = _invoke(
        "score", "--predictions", str(submission), "--labels", str(labels), "--benchmark", "xtreme", "--json"
    )
    assert code == 0, output
    result = json.loads(output)
    assert result["xnli"]["accuracy"] == pytest.approx(run_scores["xnli"]["accuracy"])
    for metric in ("exact_match", "f1"):
        assert result["xquad"][metric] == pytest.approx(run_scores["xquad"][metric])
    assert set(result[NOTES_KEY]["incomplete_tasks"]) == {"xnli", "xquad"} and result[NOTES_KEY]["ignored_files"] == []
