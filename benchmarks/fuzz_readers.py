"""Fuzzes every local reader by hand: N hypothesis-drawn mutations of a valid file per official format (default
10,000), read as a run reads it, with the outcome counts printed as the table in ``benchmarks/RELIABILITY.md``.

    PYTHONPATH=src:. python benchmarks/fuzz_readers.py [--examples 10000] [--seed 0] [--formats squad_json,conllu]

The formats, mutations and the rule are in ``tests/fuzz_formats.py``; ``tests/test_fuzz_readers.py`` runs a few
hundred per format. Exits 1 when any input broke the rule, listing the first ones.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz_formats import FAILURES, FORMATS, fuzz

COLUMNS = ("same", "changed", "error", *FAILURES)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=None, help="fixed seed (derandomized); default: random")
    parser.add_argument("--formats", default="", help="comma-separated format names; default: all")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # XQuAD-R's reader warns about skipped questions
    wanted = [f for f in FORMATS if not args.formats or f.name in args.formats.split(",")]
    print("| format | inputs | " + " | ".join(COLUMNS) + " | seconds |")
    print("|---" * (len(COLUMNS) + 3) + "|")
    broken = []
    with tempfile.TemporaryDirectory() as scratch:
        for fmt in wanted:
            start = time.monotonic()
            tally = fuzz(fmt, Path(scratch) / fmt.name, args.examples, args.seed)
            cells = " | ".join(str(tally.counts[c]) for c in COLUMNS)
            print(f"| {fmt.name} | {tally.inputs} | {cells} | {time.monotonic() - start:.0f} |", flush=True)
            broken += [f"{fmt.name}: {failure}" for failure in tally.failures]
    for line in broken:
        print(line.replace(scratch + "/", ""))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
