#!/usr/bin/env bash
# The test command of README.md (and of CI): sets up .venv, lints, then runs the suite (with CI=true, or -m slow,
# the long end-to-end tests too: tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The report's browser test needs Debian's Chromium; install it where we may (root with apt), else it skips.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "xstilts: installing Chromium for the report's browser test" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "xstilts: could not install Chromium; the browser test will skip" >&2
fi
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
.venv/bin/ruff check src tests
.venv/bin/ruff format --check --quiet src tests
# The layers of DESIGN.md ("Package layout"): the contract is [tool.importlinter] in pyproject.toml.
.venv/bin/lint-imports --no-logo
# Type checks of src/ ([tool.pyright] in pyproject.toml), against the packages installed in .venv.
.venv/bin/pyright --pythonpath .venv/bin/python
exec .venv/bin/python -m pytest "$@"
