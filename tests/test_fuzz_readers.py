"""Every local reader, fuzzed: a few hundred hypothesis-drawn mutations of a valid file per format (fixed seed), each
read as a run reads it; the outcome is the valid file's examples, other examples, or one ``XstiltsError`` naming the
file, never a traceback, a hang or a silent partial read (the rule is ``tests/fuzz_formats.classify``).
``benchmarks/fuzz_readers.py`` runs ten thousand per format."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz_formats import FORMATS, fuzz

EXAMPLES = 150


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
def test_reader_survives_mutated_files(fmt, tmp_path: Path) -> None:
    tally = fuzz(fmt, tmp_path / fmt.name, EXAMPLES, seed=0)
    assert tally.failed == 0, "\n".join(tally.failures)
    assert tally.counts["error"] > 0  # the mutations reached the reader's checks
