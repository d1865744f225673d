"""Worst-case wildcard rules on long terms: a backtracking regex (how patterns were matched
before) against the linear matcher (`matcher.wildcard`). A benchmark, not a test.

The regex runs in a child process killed after `--limit-s` seconds ("> N s" is printed):
it holds the interpreter lock, as it held the service's event loop.

    python -m benchmarks.hostile_rules            # or: --limit-s 5
"""

import argparse
import multiprocessing
import re
import time

from matcher import Wildcard

CASES = [
    ("url:*?*?*?*Q (3 pairs)", "*?" * 3 + "*Q"),
    ("url:*?*?*?*?*Q (4 pairs)", "*?" * 4 + "*Q"),
    ("url:*?*?*?*?*?*?*Q (6 pairs)", "*?" * 6 + "*Q"),
    ("url:*?... (400 pairs)", "*?" * 400 + "*Q"),
    ("*a*a*...*b (16 stars)", "*a" * 16 + "*b"),
]
TERMS = [
    ("100-char URL", "https://example.com/" + "a" * 80),
    ("8 KB URL", "https://example.com/" + "a" * 8172),
    ("8 KB URL, Q/b", "https://example.com/" + "a" * 8170 + "bQ"),
]


def _regex(pattern: str) -> str:
    # As the matcher built it before (then index/query.py): `*` as `.*`, `?` as `.`, fullmatch.
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def _run_regex(pattern: str, term: str) -> None:
    re.compile(_regex(pattern), re.DOTALL).fullmatch(term)


def regex_seconds(pattern: str, term: str, limit_s: float) -> float | None:
    """Seconds the backtracking regex took, or None past the limit."""
    process = multiprocessing.Process(target=_run_regex, args=(pattern, term))
    started = time.perf_counter()
    process.start()
    process.join(limit_s)
    if process.is_alive():
        process.kill()
        process.join()
        return None
    return time.perf_counter() - started


def linear_seconds(pattern: str, term: str, rounds: int = 20) -> float:
    wildcard = Wildcard.of(pattern)
    started = time.perf_counter()
    for _ in range(rounds):
        wildcard.matches(term)
    return (time.perf_counter() - started) / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit-s", type=float, default=10.0, help="Regex time limit per case.")
    args = parser.parse_args()
    print(f"{'pattern':32} {'term':14} {'regex (before)':>16} {'linear (after)':>16}")
    for label, pattern in CASES:
        for term_label, term in TERMS:
            before = regex_seconds(pattern, term, args.limit_s)
            shown = f"> {args.limit_s:.0f} s" if before is None else f"{before * 1000:.1f} ms"
            after = linear_seconds(pattern, term)
            print(f"{label:32} {term_label:14} {shown:>16} {after * 1000:13.3f} ms")


if __name__ == "__main__":
    main()
