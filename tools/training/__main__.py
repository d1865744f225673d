"""`python -m tools.training train|recogniser|crossval|decision|agreement`: see the package's
docstring."""

import argparse
import fnmatch
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from enrich import RECOGNISER_DIR, CountryNames
from tools.training.agreement import compare, read_lines
from tools.training.corpus import read_labelled
from tools.training.decision import OutOfFold, choose, format_choice
from tools.training.model import (
    LABELS,
    MODEL_DIR,
    REGULARISATION_C,
    ROOT,
    cross_validate,
    format_crossval,
    train_model,
)
from tools.training.recogniser import EPOCHS, read_examples, train_recogniser

CORPUS = sorted((ROOT / "enrich" / "corpus").glob("labelled-*.jsonl"))
# Short texts written for the rules: more wordings to learn from, never scored.
DEVELOPMENT_SET = ROOT / "tests" / "fixtures" / "enrichment-dev.jsonl"
SECOND_LABELLER = ROOT / "enrich" / "corpus" / "second-labeller-sample.jsonl"
DEFAULT_OOF = Path("benchmarks/results/topic-classifier-oof.jsonl")
SEED = 12


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.training", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train on the corpus, write the model")
    train.add_argument("--output", type=Path, default=MODEL_DIR)
    recogniser = commands.add_parser(
        "recogniser", help="fine-tune the model's entity recogniser on the corpus, write it"
    )
    recogniser.add_argument(
        "--output", type=Path, default=None,
        help=f"where to write it (default: {RECOGNISER_DIR.relative_to(ROOT)}, the shipped one; "
        "required with --leave-out, so that an experiment never replaces it)",
    )  # fmt: skip
    recogniser.add_argument("--epochs", type=int, default=EPOCHS)
    recogniser.add_argument(
        "--leave-out", action="append", default=[], metavar="PATTERN",
        help="corpus files (names matching this pattern, e.g. 'labelled-c1[5-9]*') left out of "
        "training, to score it on them",
    )  # fmt: skip
    crossval = commands.add_parser("crossval", help="k-fold figures, out-of-fold probabilities")
    crossval.add_argument("--folds", type=int, default=5)
    crossval.add_argument("--seed", type=int, default=SEED)
    crossval.add_argument("--oof", type=Path, default=DEFAULT_OOF)
    crossval.add_argument("--report", type=Path, help="also write the report to this file")
    decision = commands.add_parser(
        "decision", help="the rules-and-classifier thresholds, on out-of-fold probabilities"
    )
    decision.add_argument(
        "--oof", type=Path, action="append", default=None,
        help="out-of-fold probabilities of one crossval run; repeat it to choose on the mean "
        f"over several runs (default: {DEFAULT_OOF})",
    )  # fmt: skip
    for command in (train, crossval):
        command.add_argument(
            "--extra", type=Path, action="append", default=None,
            help="labelled file added to the training data only, never scored "
            f"(default: {DEVELOPMENT_SET.relative_to(ROOT)})",
        )  # fmt: skip
    agreement = commands.add_parser(
        "agreement", help="Cohen's kappa between the corpus and a second labeller's sample"
    )
    agreement.add_argument("--second", type=Path, default=SECOND_LABELLER)
    return parser


def _out_of_fold(path: Path) -> OutOfFold:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return OutOfFold(
        probabilities={record["id"]: record["cats"] for record in records},
        # A file written before the windows were recorded: each excerpt read as one window.
        windows={record["id"]: record.get("windows", 1) for record in records},
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run one subcommand."""
    args = _parser().parse_args(argv)
    if args.command == "agreement":
        sys.stdout.write(compare(read_lines(CORPUS), read_lines([args.second]), list(LABELS)))
        return
    if args.command == "recogniser":
        if args.leave_out and args.output is None:
            _parser().error("recogniser --leave-out needs --output (not the shipped recogniser)")
        output = args.output or RECOGNISER_DIR
        kept = [
            path for path in CORPUS
            if not any(fnmatch.fnmatch(path.name, pattern) for pattern in args.leave_out)
        ]  # fmt: skip
        trained = train_recogniser(
            read_examples(kept), output, CountryNames.load(), epochs=args.epochs
        )
        sys.stdout.write(f"{len(kept)} corpus files -> {output}: " + trained.format())
        return
    lines = [line for path in CORPUS for line in path.read_text(encoding="utf-8").splitlines()]
    if args.command == "decision":
        runs = [_out_of_fold(path) for path in args.oof or [DEFAULT_OOF]]
        sys.stdout.write(format_choice(choose(lines, runs)))
        return
    examples = read_labelled(CORPUS, LABELS)
    extra_paths = args.extra if args.extra is not None else [DEVELOPMENT_SET]
    extra = read_labelled(extra_paths, LABELS)
    described = (
        f"TF-IDF of words + logistic regression per topic (C={REGULARISATION_C}); "
        f"{len(examples)} corpus examples + {len(extra)} from "
        + ", ".join(str(path.relative_to(ROOT)) for path in extra_paths)
    )
    if args.command == "train":
        model = train_model([*examples, *extra], description=described)
        model.save(args.output)
        print(f"{len(model.vocabulary):,} words, {len(model.labels)} topics -> {args.output}")
        return
    result = cross_validate(examples, args.folds, args.seed, extra)
    args.oof.parent.mkdir(parents=True, exist_ok=True)
    with args.oof.open("w", encoding="utf-8") as out:
        for example in examples:
            record = {
                "id": example.id,
                "cats": result.out_of_fold[example.id],
                "windows": result.windows[example.id],
            }
            out.write(json.dumps(record) + "\n")
    report = format_crossval(result, described)
    sys.stdout.write(report)
    if args.report:
        args.report.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
