#!/usr/bin/env bash
# Mutation testing of the modules that decide results (run by hand, not in CI).
#
#   scripts/mutation.sh                   # every module in the table below, each afresh
#   scripts/mutation.sh metrics decoding  # only these (names from the table)
#   scripts/mutation.sh --recheck metrics # only the last run's survivors of metrics, against today's tests
#   scripts/mutation.sh --list            # the table
#
# Tool: mutmut (pinned below), installed on first use into .venv-mutation, a venv that sees the project's venv
# (XSTILTS_VENV, default .venv, made by scripts/setup.sh) through a .pth file, so the project's venv is untouched.
# Each module is mutated in its own work folder .mutation/NAME/ (src/ and tests/ linked, a pyproject.toml with a
# [tool.mutmut] section written there): only the module's files are mutated and only the module's test files
# run; of those, mutmut runs for each mutant just the tests that called the mutated function.
# --recheck, after adding tests that should kill survivors: reruns only the survivors and the timeouts (a timeout
# may be a loaded machine, not a hanging mutant), with the test files the table names now, and keeps every other
# verdict of the last run (more tests cannot revive a killed mutant).
# Results: .mutation/NAME/survivors.txt (the diff of every mutant that no test killed), .mutation/NAME/run.log,
# .mutation/summary.tsv (the latest run of each module). MUTATION_JOBS: mutants tested at once (default 2).
# MUTATION_PYTEST_OPTIONS: pytest options for this invocation only, e.g. --deselect=FILE::TEST for a test that fails
# for reasons of its own (mutmut needs every selected test green before it mutates anything).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

MUTMUT_VERSION=3.8.1 # 3.8.x: src layout, Python 3.10-3.14, fork-server isolation (torch is not fork-safe)

# ---------------------------------------------------------------------------------------------------------------------
# THE TABLE: name | files to mutate (globs, relative to the repository root) | test files that cover them
#            [| pytest options for this module's runs, e.g. --deselect=FILE::TEST for an end-to-end test that
#               would run once per mutant while faster tests cover the same lines].
# When code moves, update the paths here; a path that matches nothing is an error.
# ---------------------------------------------------------------------------------------------------------------------
MODULES=(
  "metrics    | src/xstilts/metrics/*.py
              | tests/test_metrics.py tests/test_metrics_xtreme.py tests/test_span_scoring.py
                tests/test_tagging_features.py tests/test_multiple_choice.py tests/test_retrieval.py
                tests/test_tasks_library.py tests/test_metrics_mutants.py"
  "decoding   | src/xstilts/evaluation/predict.py src/xstilts/kinds/base.py src/xstilts/kinds/span_extraction.py
                src/xstilts/kinds/token_tagging.py
              | tests/test_featurize.py tests/test_span_scoring.py tests/test_tagging_features.py
                tests/test_decoding_mutants.py"
  "training   | src/xstilts/training/loop.py src/xstilts/training/checkpoint.py
              | tests/test_scale.py tests/test_multitask_resume.py tests/test_adapter_resume.py"
  "samplers   | src/xstilts/data/samplers.py src/xstilts/data/batching.py
              | tests/test_samplers.py tests/test_featurize.py tests/test_tagging_features.py
                tests/test_multiple_choice.py tests/test_text_mlm.py"
  "plan       | src/xstilts/experiments/plan.py
              | tests/test_plan.py tests/test_variants.py tests/test_adapter_spec.py tests/test_examples.py"
  "features   | src/xstilts/data/features.py src/xstilts/tasks/loading.py
              | tests/test_featurize.py tests/test_samplers.py tests/test_tagging_features.py
                tests/test_multiple_choice.py"
  "executors  | src/xstilts/experiments/executors.py
              | tests/test_scale_store.py tests/test_scale.py"
)
# ---------------------------------------------------------------------------------------------------------------------

field() { # field INDEX ROW: the ROW's INDEX-th |-separated field (empty if absent), whitespace squeezed
  echo "$2" | tr '\n' ' ' | awk -F'|' -v i="$1" '{print $i}' | xargs
}

if [ "${1:-}" = "--list" ]; then
  for row in "${MODULES[@]}"; do
    printf '%s\n  mutate:  %s\n  tests:   %s\n  options: %s\n' \
      "$(field 1 "$row")" "$(field 2 "$row")" "$(field 3 "$row")" "$(field 4 "$row")"
  done
  exit 0
fi
recheck=0
if [ "${1:-}" = "--recheck" ]; then
  recheck=1
  shift
  [ $# -gt 0 ] || { echo "mutation: --recheck needs module names" >&2; exit 2; }
fi

declare -A ROW_BY_NAME=()
NAMES=()
for row in "${MODULES[@]}"; do
  name="$(field 1 "$row")"
  ROW_BY_NAME[$name]="$row"
  NAMES+=("$name")
done
selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${NAMES[@]}")
for name in "${selected[@]}"; do
  [ -n "${ROW_BY_NAME[$name]:-}" ] || { echo "mutation: no module '$name' in the table (known: ${NAMES[*]})" >&2; exit 2; }
done

# Check the table before spending minutes on installs.
for name in "${selected[@]}"; do
  row="${ROW_BY_NAME[$name]}"
  for pattern in $(field 2 "$row"); do
    compgen -G "$pattern" >/dev/null || { echo "mutation: $name: '$pattern' matches no file; update the table" >&2; exit 2; }
  done
  for test_file in $(field 3 "$row"); do
    [ -f "$test_file" ] || { echo "mutation: $name: test file '$test_file' is missing; update the table" >&2; exit 2; }
  done
done

# The project's venv, then .venv-mutation on top of it (reinstalled only when the pin or the project venv changes).
venv="${XSTILTS_VENV:-.venv}"
[ -x "$venv/bin/python" ] || bash scripts/setup.sh
project_site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
want="mutmut==$MUTMUT_VERSION $project_site"
if [ ! -f .venv-mutation/.stamp ] || [ "$(cat .venv-mutation/.stamp)" != "$want" ]; then
  echo "mutation: installing mutmut==$MUTMUT_VERSION into .venv-mutation" >&2
  rm -rf .venv-mutation
  "$("$venv/bin/python" -c 'import sys; print(sys._base_executable)')" -m venv .venv-mutation
  own_site="$(.venv-mutation/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  # addsitedir, not a bare path: the project venv's own .pth files (e.g. editable installs) are read too.
  echo "import site; site.addsitedir('$project_site')" >"$own_site/xstilts-project.pth"
  .venv-mutation/bin/python -m pip install --quiet --disable-pip-version-check "mutmut==$MUTMUT_VERSION" 2>&1 \
    | { grep -v "^WARNING: Location 'file:" || true; } >&2
  echo "$want" >.venv-mutation/.stamp
fi

export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 # one thread per mutant; MUTATION_JOBS mutants at once
unset PYTHONPATH                           # the mutated copy must be the only xstilts on the path
jobs="${MUTATION_JOBS:-2}"
shared="$(cd .. && pwd)/shared" # tests/conftest.py finds shared data at parents[2]/shared: link it beside the copy

toml_list() { # a TOML array of the arguments
  local out="" item
  for item in "$@"; do out+="${out:+, }\"$item\""; done
  echo "[$out]"
}

summary=.mutation/summary.tsv # one row per module, the latest run of each
header='module\tmutants\tkilled\tsurvived\ttimeout\tno_tests\tother\tkill_rate\twall_s\n'
mkdir -p .mutation
rows="$(mktemp .mutation/rows.XXXXXX)" # this invocation's rows (runs on different modules may overlap)
trap 'rm -f "$rows" "$rows.all"' EXIT
for name in "${selected[@]}"; do
  row="${ROW_BY_NAME[$name]}"
  # shellcheck disable=SC2046,SC2116  # the globs expand here, on purpose
  read -r -a mutate <<<"$(echo $(field 2 "$row"))"
  read -r -a tests <<<"$(field 3 "$row")"
  read -r -a options <<<"$(field 4 "$row") ${MUTATION_PYTEST_OPTIONS:-}"
  work=".mutation/$name"
  names=()
  if [ "$recheck" = 1 ]; then
    [ -f "$work/verdicts.json" ] || { echo "mutation: $name: no finished run to recheck in $work" >&2; exit 2; }
    read -r -a names <<<"$(.venv-mutation/bin/python -c '
import json, sys
print(" ".join(k for k, v in json.load(open(sys.argv[1])).items() if v != "killed"))
' "$work/verdicts.json")"
    if [ ${#names[@]} = 0 ]; then
      echo "mutation: $name: no survivors to recheck" >&2
      continue
    fi
  else
    rm -rf "$work"
  fi
  mkdir -p "$work"
  ln -sfn "$root/src" "$work/src"
  ln -sfn "$root/tests" "$work/tests"
  [ -d "$shared" ] && ln -sfn "$shared" "$work/shared"
  ln -sfn "$root/examples" "$work/examples" # tests/test_examples.py reads examples/ beside tests/
  {
    cat pyproject.toml
    echo
    echo "[tool.mutmut]"
    echo "source_paths = [\"src\"]"
    echo "also_copy = [\"examples\"]"
    echo "only_mutate = $(toml_list "${mutate[@]}")"
    echo "pytest_add_cli_args_test_selection = $(toml_list "${tests[@]}")"
    echo "pytest_add_cli_args = $(toml_list -p no:cacheprovider "${options[@]}")"
    echo "process_isolation = \"forkserver\""
    echo "use_git_change_detection = false"
  } >"$work/pyproject.toml"
  echo "mutation: $name: mutating ${mutate[*]}; tests ${tests[*]} ${options[*]}${names:+; rechecking ${#names[@]}}" >&2
  start=$(date +%s)
  status=0
  (cd "$work" && "$root/.venv-mutation/bin/mutmut" run --max-children "$jobs" "${names[@]}") >"$work/run.log" 2>&1 \
    || status=$?
  wall=$(($(date +%s) - start))
  if [ "$status" != 0 ]; then
    tail -n 40 "$work/run.log" >&2
    echo "mutation: $name: mutmut failed (exit $status); log: $work/run.log" >&2
    exit 1
  fi
  (cd "$work" && "$root/.venv-mutation/bin/python" - "$name" "$wall" "$recheck") >>"$rows" <<'EOF'
import json, subprocess, sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

name, wall, recheck = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
# On a recheck mutmut has reset every verdict but those it reran: the others come from the last run.
previous = json.loads(Path("verdicts.json").read_text()) if recheck else {}
verdicts, files = {}, {}
for meta in sorted(Path("mutants").rglob("*.py.meta")):
    source = str(meta.relative_to("mutants"))[: -len(".meta")]
    for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
        status = status_by_exit_code[code]
        verdicts[key] = previous[key] if recheck and status == "not checked" and key in previous else status
        files[key] = source
Path("verdicts.json").write_text(json.dumps(verdicts, indent=1))
survivors = [key for key, status in verdicts.items() if status not in ("killed", "timeout")]
with open("survivors.txt", "w") as out:
    for key in survivors:
        shown = subprocess.run(["../../.venv-mutation/bin/mutmut", "show", key], capture_output=True, text=True)
        out.write(f"# {key}: {verdicts[key]}\n" + "\n".join(shown.stdout.splitlines()[1:]) + "\n\n")
counts = Counter(verdicts.values())
for source in sorted(set(files.values())):
    c = Counter(status for key, status in verdicts.items() if files[key] == source)
    print(f"  {source}: {sum(c.values())} mutants, {c['killed']} killed, {c['survived']} survived,"
          f" {c['timeout']} timeout, {c['no tests']} without tests", file=sys.stderr)
total = len(verdicts)
other = total - counts["killed"] - counts["survived"] - counts["timeout"] - counts["no tests"]
rate = 100.0 * (counts["killed"] + counts["timeout"]) / total if total else 0.0
print(f"{name}\t{total}\t{counts['killed']}\t{counts['survived']}\t{counts['timeout']}\t{counts['no tests']}"
      f"\t{other}\t{rate:.1f}\t{wall}")
EOF
  echo "mutation: $name: $(tail -n 1 "$rows" | awk -F'\t' '{print $2" mutants, "$3" killed, "$4" survived, "$5" timeout"}'); survivors: $work/survivors.txt" >&2
done
{
  printf '%b' "$header"
  [ ! -f "$summary" ] || tail -n +2 "$summary" | awk -F'\t' 'NR == FNR { mine[$1] = 1; next } !($1 in mine)' "$rows" -
  cat "$rows"
} >"$rows.all"
mv "$rows.all" "$summary"
echo
echo "Kill rate = (killed + timeout) / mutants. 'no tests': no mapped test calls the mutated function; 'other':"
echo "suspicious, segfault, skipped or not checked (see .mutation/NAME/run.log). This run:"
{ printf '%b' "$header"; cat "$rows"; } | column -t -s $'\t'
echo "All modules' latest runs: $summary"
