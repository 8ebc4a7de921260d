"""``xstilts data check``: every split an experiment reads, counted against the official releases; on the real
benchmark files in ../shared/data (skipped when absent) and on the fake hub."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.fake_hub import PAWSX_ROWS, FakeHub
from xstilts.cli import app
from xstilts.data.official_counts import OFFICIAL_COUNTS
from xstilts.data.sources import DataSource
from xstilts.experiments.datacheck import check_split

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data is absent")

# (task, split, languages, folder): what the shared files hold, each an official release or XTREME's own output.
SHARED_SPLITS = [
    ("xquad", "test", ["ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh"], "xquad"),
    ("mlqa", "dev", ["en", "de", "es", "zh"], "mlqa"),
    ("tydiqa", "test", ["en", "fi", "id", "ru"], "tydiqa_goldp"),
    ("tatoeba", "test", ["ar", "de", "fi", "hi", "ja", "sw", "tr", "zh"], "tatoeba"),
    ("udpos", "dev", ["en", "de", "es", "fr", "ru", "fi"], "udpos"),
    ("udpos", "test", ["en", "es", "fr", "ru", "fi"], "udpos"),
    ("udpos", "train", ["en"], "udpos"),
    ("panx", "dev", ["en", "de", "es", "fr", "zh"], "panx"),
    ("panx", "test", ["en", "de", "es", "fr", "zh"], "panx"),
    ("panx", "train", ["en"], "panx"),
]


@needs_shared
@pytest.mark.parametrize("task,split,languages,folder", SHARED_SPLITS)
def test_shared_files_match_the_official_counts(task, split, languages, folder):
    source = DataSource(source="local", path=str(SHARED / folder))
    checks = [check_split(task, split, language, source) for language in languages]
    assert [(c.language, c.status) for c in checks] == [(language, "match") for language in languages], [
        (c.language, c.count, c.official, c.notes) for c in checks
    ]


def test_every_official_count_is_positive():
    assert all(n > 0 for splits in OFFICIAL_COUNTS.values() for langs in splits.values() for n in langs.values())


def test_data_check_command_reports_differences_and_failures(monkeypatch, tmp_path):
    FakeHub(tmp_path / "hub").install(monkeypatch)
    experiment = tmp_path / "e.yaml"
    experiment.write_text(
        "name: check\nmodel: xlm-roberta-base\nintermediate: [none]\ntarget: [pawsx]\n"
        "tasks:\n  pawsx: {languages: [en, de]}\n"
    )
    result = CliRunner().invoke(app, ["data", "check", str(experiment)], terminal_width=200)
    assert result.exit_code == 1, result.output
    rows = {line.split("│")[1].strip() + line.split("│")[2].strip() + line.split("│")[3].strip(): line
            for line in result.output.splitlines() if line.count("│") > 6}  # fmt: skip
    # google-research-datasets/paws-x in the fake hub has 4 rows per split, the official train 49401
    assert f"differs by {len(PAWSX_ROWS) - 49401:+d}" in rows["pawsxtrainen"]
    assert "differs by -1996" in rows["pawsxtestde"]
    assert "4 splits: 0 fine, 4 differ or failed" in result.output


def test_a_split_that_fails_to_load_is_a_row_not_a_crash(monkeypatch, tmp_path):
    FakeHub(tmp_path / "hub").install(monkeypatch)
    check = check_split("udpos", "test", "el", DataSource())
    assert check.status == "error" and "Ancient Greek" in check.notes[-1]
    realigned = check_split("xquad", "test", "de", DataSource())
    assert realigned.count == 3 and realigned.status == "differs"
    assert any("answer starts repaired" in note for note in realigned.notes)
    export = check_split("cosmosqa", "dev", "en", DataSource())
    assert export.count == 4 and export.notes[0].startswith("read refs/convert/parquet@")
