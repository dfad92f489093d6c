"""Command-line interface: parse, call one function, print. User mistakes exit 2 with one sentence."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.errors import UserError


def _seeds(text: str) -> list[int]:
    try:
        return [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds must be integers separated by commas, not '{text}'")


def cmd_data_validate(args) -> int:
    from bench.data import DEFAULT_DATA, validate_corpus

    path = Path(args.path or DEFAULT_DATA)
    problems = validate_corpus(path)
    for problem in problems:
        print(problem)
    if problems:
        raise UserError(f"{path}: {len(problems)} problem{'s' if len(problems) > 1 else ''} found.")
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


def cmd_train(args) -> int:
    from bench.config import load_run_config
    from bench.leaderboard import DEFAULT_LEADERBOARD
    from bench.training import train_run

    config = load_run_config(args.config)
    seeds = args.seeds or [args.seed if args.seed is not None else config.seed]
    if args.output and len(seeds) > 1:
        raise UserError("--output names one run folder; use it with a single seed.")
    leaderboard = None if args.no_leaderboard else Path(args.leaderboard or DEFAULT_LEADERBOARD)
    for seed in seeds:
        result = train_run(config, seed=seed, device=args.device, output=args.output, data=args.data,
                           leaderboard=leaderboard, resume=args.resume)
        if result.metrics:
            _print_run(result)
    return 0


def _print_run(result) -> None:
    print(f"{result.run_id} → {result.directory}")
    for split, card in result.metrics["splits"].items():
        low, high = card["macro_f1_ci"]
        print(f"  {split:9} macro-F1 {card['macro_f1']:.4f} [{low:.4f}, {high:.4f}]  "
              f"accuracy {card['accuracy']:.4f}  n={card['n']}")


def cmd_evaluate(args) -> int:
    from bench.scoring import evaluate_file, format_scorecard

    card = evaluate_file(args.predictions, split=args.split, data=args.data, system=args.system,
                         output=args.output, leaderboard=args.leaderboard, n_resamples=args.resamples)
    print(format_scorecard(card, title=f"{args.system or args.predictions} on {args.split}"))
    return 0


def cmd_leaderboard(args) -> int:
    from bench.leaderboard import DEFAULT_LEADERBOARD, load_rows, render, select

    rows = select(load_rows(args.path or DEFAULT_LEADERBOARD), args.split, args.system)
    if not rows:
        print("no leaderboard rows match.", file=sys.stderr)
        return 0
    columns = ["system", "split", "macro_f1", "macro_f1_ci_low", "macro_f1_ci_high", "accuracy",
               "seed", "device", "run_id"]
    print(render(rows, columns if args.format != "csv" else list(rows[0]), args.format), end="")
    return 0


def cmd_run(args) -> int:
    from bench.config import load_suite
    from bench.leaderboard import DEFAULT_LEADERBOARD, load_rows, render, select
    from bench.suite import run_suite

    suite = load_suite(args.suite)
    leaderboard = Path(args.leaderboard or DEFAULT_LEADERBOARD)
    results = run_suite(suite, device=args.device, data=args.data, leaderboard=leaderboard,
                        runs_dir=args.runs_dir)
    ours = {r.run_id for r in results}
    rows = [r for r in select(load_rows(leaderboard), split="test") if r["run_id"] in ours]
    print(render(rows, ["system", "macro_f1", "macro_f1_ci_low", "macro_f1_ci_high", "accuracy", "seed",
                        "device", "train_seconds"]), end="")
    return 0


def cmd_perf(args) -> int:
    from bench import perf

    if args.model:
        figures = perf.model_throughput(Path(args.model), n=args.n, device=args.device)
    else:
        figures = perf.suite_timing(args.suite, n_sentences=args.n)
    print(perf.format_figures(figures))
    if args.json:
        print(json.dumps(figures))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="claimframe", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="validate or describe the corpus")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    validate = data_sub.add_parser("validate", help="check schema, labels, ids, splits and duplicates")
    validate.add_argument("path", nargs="?")
    validate.set_defaults(func=cmd_data_validate)
    stats = data_sub.add_parser("stats", help="counts per split × label, topic and genre")
    stats.add_argument("path", nargs="?")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_data_stats)

    train = sub.add_parser("train", help="train one system, select on dev, evaluate, record")
    train.add_argument("--config", required=True)
    seed = train.add_mutually_exclusive_group()
    seed.add_argument("--seed", type=int)
    seed.add_argument("--seeds", type=_seeds, help="comma-separated, one run per seed")
    train.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    train.add_argument("--output", type=Path)
    train.add_argument("--data", type=Path)
    train.add_argument("--leaderboard", type=Path)
    train.add_argument("--no-leaderboard", action="store_true")
    train.add_argument("--resume", action="store_true", help="continue an interrupted --output run")
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="score any system's prediction file")
    evaluate.add_argument("--predictions", required=True, type=Path)
    evaluate.add_argument("--split", default="test")
    evaluate.add_argument("--data", type=Path)
    evaluate.add_argument("--system")
    evaluate.add_argument("--output", type=Path)
    evaluate.add_argument("--leaderboard", type=Path)
    evaluate.add_argument("--resamples", type=int, default=1000)
    evaluate.set_defaults(func=cmd_evaluate)

    board = sub.add_parser("leaderboard", help="render the ranking")
    board.add_argument("--split")
    board.add_argument("--system")
    board.add_argument("--format", default="table", choices=["table", "md", "csv"])
    board.add_argument("--path", type=Path)
    board.set_defaults(func=cmd_leaderboard)

    run = sub.add_parser("run", help="the main job: train and evaluate a suite")
    run.add_argument("--suite", default="default")
    run.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    run.add_argument("--data", type=Path)
    run.add_argument("--leaderboard", type=Path)
    run.add_argument("--runs-dir", type=Path, help="where run folders go (default: runs/)")
    run.set_defaults(func=cmd_run)

    perf = sub.add_parser("perf", help="benchmarks that print figures")
    target = perf.add_mutually_exclusive_group()
    target.add_argument("--suite", default="baselines")
    target.add_argument("--model")
    perf.add_argument("--n", type=int, default=None)
    perf.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    perf.add_argument("--json", action="store_true")
    perf.set_defaults(func=cmd_perf)
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
