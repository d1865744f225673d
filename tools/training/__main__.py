"""`python -m tools.training data|train|crossval`: see the package's docstring."""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import spacy

from tools.training.corpus import read_labelled, write_docbin
from tools.training.model import (
    CONFIG,
    MODEL_DIR,
    ROOT,
    cross_validate,
    format_crossval,
    labels_of,
    load_config,
    train_model,
)

CORPUS = sorted((ROOT / "enrich" / "corpus").glob("labelled-*.jsonl"))
# Relative to the repository root, where `make` runs: the trained model's config records it.
TRAIN_DOCBIN = Path(".wirewatch/training/train.spacy")
EXTRA_DOCBIN = Path(".wirewatch/training/extra.spacy")
DEFAULT_OOF = Path("benchmarks/results/topic-classifier-oof.jsonl")
SEED = 12


def _overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """`section.key=value` pairs as config overrides; a value is JSON where it parses."""
    found: dict[str, Any] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator:
            raise SystemExit(f"--set {pair!r}: write it as section.key=value")
        try:
            found[key] = json.loads(value)
        except json.JSONDecodeError:
            found[key] = value
    return found


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.training", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in [
        ("data", "write the labelled corpus as a DocBin (and --extra's examples apart)"),
        ("train", "train on the DocBin of `data` and write the model to --output"),
        ("crossval", "k-fold cross-validation on the corpus; out-of-fold probabilities"),
    ]:
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument("--config", type=Path, default=CONFIG)
        command.add_argument(
            "--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
            help="override a config value (JSON where it parses), e.g. "
            "components.textcat_multilabel.model.ngram_size=3",
        )  # fmt: skip
    data, train, crossval = (commands.choices[name] for name in ("data", "train", "crossval"))
    data.add_argument("--output", type=Path, default=TRAIN_DOCBIN)
    train.add_argument("--train", type=Path, default=TRAIN_DOCBIN)
    train.add_argument("--output", type=Path, default=MODEL_DIR)
    crossval.add_argument("--folds", type=int, default=5)
    crossval.add_argument("--seed", type=int, default=SEED)
    crossval.add_argument("--oof", type=Path, default=DEFAULT_OOF)
    crossval.add_argument("--report", type=Path, help="also write the report to this file")
    for command in (data, crossval):
        command.add_argument(
            "--extra", type=Path, action="append", default=[],
            help="labelled file to add to the training data only (never scored)",
        )  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Run one subcommand."""
    args = _parser().parse_args(argv)
    overrides = _overrides(args.set)
    labels = labels_of(load_config(args.config, overrides))
    if args.command == "data":
        examples = read_labelled(CORPUS, labels)
        extra = [ex for path in args.extra for ex in read_labelled([path], labels)]
        written = write_docbin([*examples, *extra], labels, spacy.blank("en"), args.output)
        print(f"{written} examples ({len(extra)} from --extra) -> {args.output}")
    elif args.command == "train":
        if not args.train.exists():
            raise SystemExit(f"{args.train} does not exist: run `python -m tools.training data`")
        print(f"model -> {train_model(args.config, args.train, args.output, overrides)}")
    else:
        examples = read_labelled(CORPUS, labels)
        extra = [ex for path in args.extra for ex in read_labelled([path], labels)]
        result = cross_validate(args.config, examples, args.folds, args.seed, overrides, extra)
        args.oof.parent.mkdir(parents=True, exist_ok=True)
        with args.oof.open("w", encoding="utf-8") as out:
            for example in examples:
                cats = result.out_of_fold[example.id]
                out.write(json.dumps({"id": example.id, "cats": cats}) + "\n")
        described = " ".join(
            [f"config {args.config.name}", *args.set, *(f"extra {path}" for path in args.extra)]
        )
        report = format_crossval(result, described)
        sys.stdout.write(report)
        if args.report:
            args.report.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
