"""Enrichment cost on pathological articles (a benchmark, not a test).

Builds articles whose text is made to be costly - dense short deal sentences naming countries,
weapons, quantities and sums; hundreds of distinct people and firms; one huge sentence without
punctuation; one name repeated; tables of numbers; designations glued together without spaces -
at 10, 50, 100 and 200 KB each, enriches each alone with the full Enricher and prints the time,
the time per KB and the warnings enrichment gave (what it cut or skipped). Enrichment is linear
in the text when the time per KB stays flat as the text grows (it falls where the text is longer
than what is analysed, `WIREWATCH_ENRICH__MAX_TEXT_CHARS`).

    make bench-enrich-cost   # or: python -m benchmarks.enrichment_cost --sizes 10 --kinds deals
"""

import argparse
import itertools
import time
from collections.abc import Callable, Iterator

from contracts import Article
from enrich import Enricher, EnrichmentFailure, EnrichSettings

_COUNTRIES = [
    "Poland", "Germany", "France", "India", "Brazil", "Egypt", "Japan", "Turkey", "Israel",
    "Greece", "Norway", "Qatar", "Taiwan", "Ukraine", "Russia", "Venezuela", "the United States",
    "the United Kingdom", "South Korea", "Saudi Arabia", "Indonesia", "Spain", "Italy", "Chile",
]  # fmt: skip
_WEAPONS = [
    "F-16 fighter jets", "Leopard 2A7 tanks", "Su-35 fighters", "K9 howitzers", "Rafale jets",
    "Patriot missile systems", "M777 howitzers", "HIMARS launchers", "Javelin missiles",
    "Bayraktar TB2 drones", "S-400 systems", "Type 212 submarines", "AH-64E Apache helicopters",
    "T-90 tanks", "MiG-29 fighters", "Harpoon missiles",
]  # fmt: skip
_BUY = ["bought", "ordered", "signed a deal to buy", "will acquire", "received"]
_SELL = ["sold", "delivered", "agreed to supply", "approved the sale of", "shipped"]
_CURRENCIES = ["$", "€", "£"]
_FIRST = ["Anna", "Jan", "Maria", "Ivan", "Lena", "Omar", "Kofi", "Mei", "Raul", "Sven", "Aiko"]
_LAST = [
    "Kowalski", "Novak", "Petrov", "Silva", "Haddad", "Tanaka", "Okafor", "Larsen", "Moreau",
    "Fischer", "Rossi", "Costa", "Yilmaz", "Cohen", "Suzuki", "Mensah", "Berg", "Duarte",
]  # fmt: skip
_FIRMS = [
    "Lockheed Martin", "Rheinmetall", "Hanwha Aerospace", "Dassault Aviation", "Raytheon",
    "Saab", "Thales", "Leonardo", "Embraer", "Naval Group", "BAE Systems", "Rafael",
]  # fmt: skip


def _deal_sentences() -> Iterator[str]:
    """Short deal sentences, each naming two countries, a weapon, a quantity and a sum."""
    for n in itertools.count():
        buyer = _COUNTRIES[n % len(_COUNTRIES)]
        seller = _COUNTRIES[(n * 7 + 3) % len(_COUNTRIES)]
        weapon = _WEAPONS[n % len(_WEAPONS)]
        amount = f"{_CURRENCIES[n % 3]}{1 + n % 9}.{n % 10} billion"
        if n % 2:
            yield f"{buyer} {_BUY[n % 5]} {2 + n % 40} {weapon} from {seller} for {amount}. "
        else:
            yield f"{seller} {_SELL[n % 5]} {2 + n % 40} {weapon} to {buyer} worth {amount}. "


def _entity_sentences() -> Iterator[str]:
    """Sentences naming many distinct people, firms and places, then the people by surname."""
    for n in itertools.count():
        person = f"{_FIRST[n % len(_FIRST)]} {_LAST[(n // len(_FIRST)) % len(_LAST)]}"
        firm = _FIRMS[n % len(_FIRMS)]
        place = _COUNTRIES[(n * 5) % len(_COUNTRIES)]
        surname = _LAST[(n // 3) % len(_LAST)]
        yield f"{person} of {firm} met {surname} in {place} on Monday, said {firm}. "


def _run_on_words() -> Iterator[str]:
    """One sentence that never ends: deals and names joined by 'and', no punctuation at all."""
    for n in itertools.count():
        buyer = _COUNTRIES[n % len(_COUNTRIES)].removeprefix("the ")
        seller = _COUNTRIES[(n * 7 + 3) % len(_COUNTRIES)].removeprefix("the ")
        weapon = _WEAPONS[n % len(_WEAPONS)]
        yield f"{buyer} buys {2 + n % 40} {weapon} from {seller} and "


def _repeated_names() -> Iterator[str]:
    """One name and one weapon said again and again, with transfer words among them."""
    for n in itertools.count():
        yield "Putin Putin sells tanks tanks " if n % 4 else "Lockheed Martin delivers F-16 jets "


def _table_rows() -> Iterator[str]:
    """A table of numbers and sums, one row a line, no sentences."""
    yield "Year | Country | Units | Value | System\n"
    for n in itertools.count():
        country = _COUNTRIES[n % len(_COUNTRIES)].removeprefix("the ")
        yield (
            f"{1990 + n % 35} | {country} | {n % 400} | $ {n % 97}.{n % 10} million | "
            f"{_WEAPONS[n % len(_WEAPONS)].split()[0]} | {n * 37 % 1000:,} | {n % 13}.5%\n"
        )


def _glued_designations() -> Iterator[str]:
    """Designations joined by dashes and slashes without a space: one token run without end."""
    for n in itertools.count():
        yield ("F-16/Su-35-M/T-90M-" if n % 2 else "MiG-29/F/A-18E/") + f"{n % 10}-"


def _dateline_lines() -> Iterator[str]:
    """Every line opens like a dateline, lists a family's numbers and joins two places."""
    for n in itertools.count():
        city = _COUNTRIES[n % len(_COUNTRIES)].removeprefix("the ").upper()
        yield (
            f"{city}, Oct. {1 + n % 28} (AP) — Hwasong-15, -17 and -{18 + n % 9} missiles flew "
            f"over the towns of Kharoti and Gorbat{n % 7}, especially Milvane and Bandar.\n"
        )


KINDS: dict[str, Callable[[], Iterator[str]]] = {
    "deals": _deal_sentences,
    "entities": _entity_sentences,
    "run-on": _run_on_words,
    "repeated": _repeated_names,
    "table": _table_rows,
    "glued": _glued_designations,
    "datelines": _dateline_lines,
}


def pathological_body(kind: str, chars: int) -> str:
    """A body of `kind` (one of KINDS), `chars` characters long."""
    parts: list[str] = []
    length = 0
    for part in KINDS[kind]():
        if length >= chars:
            break
        parts.append(part)
        length += len(part)
    return "".join(parts)[:chars]


def pathological_article(kind: str, chars: int) -> Article:
    """An English article whose body is `pathological_body(kind, chars)`."""
    return Article.model_validate(
        {
            "id": f"{kind}-{chars}",
            "title": "Arms deals: who bought what from whom",
            "body": pathological_body(kind, chars),
            "published_at": "2026-01-05T12:00:00Z",
            "source": "Example Wire",
            "language": "en",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100, 200], help="KB.")
    parser.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS))
    parser.add_argument("--repeats", type=int, default=1, help="Timed runs per article (best).")
    options = parser.parse_args()

    settings = EnrichSettings()
    enricher = Enricher(settings)
    enricher.enrich([pathological_article("deals", 2_000)])  # warm-up: first-call costs
    print(f"model: {settings.model}; one article at a time, best of {options.repeats}")
    print(f"{'kind':<10} {'KB':>5} {'seconds':>9} {'ms/KB':>8}  warnings")
    for kind in options.kinds:
        for size in options.sizes:
            article = pathological_article(kind, size * 1000)
            best = float("inf")
            for _ in range(options.repeats):
                start = time.perf_counter()
                (result,) = enricher.enrich([article])
                best = min(best, time.perf_counter() - start)
            warnings = (
                f"FAILED: {result.reason}"
                if isinstance(result, EnrichmentFailure)
                else "; ".join(result.warnings)
            )
            print(f"{kind:<10} {size:>5} {best:>9.2f} {best * 1000 / size:>8.1f}  {warnings}")


if __name__ == "__main__":
    main()
