"""Agreement between two labellings of the same excerpts: Cohen's kappa per topic (how much
more two labellers agree than chance would make them), and the overlap of their entity lists."""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENTITY_FIELDS = ("weapons", "persons", "organisations", "places")


@dataclass(frozen=True)
class Agreement:
    """Kappa and raw agreement of one yes/no judgement over the excerpts labelled twice."""

    name: str
    kappa: float
    agreement: float
    first: int
    second: int


def cohens_kappa(first: list[bool], second: list[bool]) -> tuple[float, float]:
    """Cohen's kappa and the observed agreement of two yes/no labellings of the same items."""
    count = len(first)
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / count
    yes_first, yes_second = sum(first) / count, sum(second) / count
    chance = yes_first * yes_second + (1 - yes_first) * (1 - yes_second)
    return ((observed - chance) / (1 - chance) if chance < 1 else 1.0), observed


def read_lines(paths: Iterable[Path]) -> dict[str, dict[str, Any]]:
    """The labelled records of JSON-lines files, by id."""
    records: dict[str, dict[str, Any]] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                records[record["id"]] = record
    return records


def compare(
    first: Mapping[str, dict[str, Any]], second: Mapping[str, dict[str, Any]], topics: list[str]
) -> str:
    """The agreement report of the excerpts both labellings hold."""
    ids = [id_ for id_ in second if id_ in first]
    pairs = [(first[id_], second[id_]) for id_ in ids]
    lines = [f"{len(pairs)} excerpts labelled twice"]
    kappas = []
    for name in [*topics, "negative"]:
        if name == "negative":
            a = [bool(x["negative"]) for x, _ in pairs]
            b = [bool(y["negative"]) for _, y in pairs]
        else:
            a = [name in x["topics"] for x, _ in pairs]
            b = [name in y["topics"] for _, y in pairs]
        kappa, observed = cohens_kappa(a, b)
        if name != "negative":
            kappas.append(kappa)
        lines.append(
            f"{name:<22} kappa {kappa:.3f}  agreement {observed:.3f}  "
            f"first {sum(a):3d} second {sum(b):3d}"
        )
    lines.append(f"mean kappa over topics {sum(kappas) / len(kappas):.3f}")
    same = sum(set(x["topics"]) == set(y["topics"]) for x, y in pairs) / len(pairs)
    lines.append(f"identical topic sets {same:.3f}")
    for field in ENTITY_FIELDS:
        shared = in_first = in_second = 0
        for x, y in pairs:
            a_names = {name.casefold().strip() for name in x.get(field, [])}
            b_names = {name.casefold().strip() for name in y.get(field, [])}
            shared += len(a_names & b_names)
            in_first += len(a_names)
            in_second += len(b_names)
        overlap = 2 * shared / (in_first + in_second) if in_first + in_second else 1.0
        lines.append(
            f"{field:<14} overlap F1 {overlap:.3f} "
            f"(first {in_first}, second {in_second}, shared {shared})"
        )
    return "\n".join(lines) + "\n"
