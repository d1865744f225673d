"""Dates as an Elasticsearch `date` field with the default format reads them (pure).

The default format is `strict_date_optional_time||epoch_millis`. When a query bound is rounded
up (an inclusive upper bound, an exclusive lower one, a term's upper end), Elasticsearch fills
the parts the text leaves out with month 1, day 1, 23:59:59.999: `2026-11-27` rounds up to the
end of that day, but `2026` only to the end of 1 January. Date math (`now-7d/d`,
`2026-01-01||+1M`) is computed in UTC against an injected clock.
"""

import calendar
import re
from datetime import UTC, datetime, timedelta

_DATE = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?:(?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2})"
    r"(?:[.,](?P<fraction>\d{1,9}))?)?)?)?"
    r"(?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?"
)
_EPOCH_MILLIS = re.compile(r"-?\d+")
_MATH = re.compile(r"([+-])(\d*)([yMwdhHms])|/([yMwdhHms])")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _millis(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def _from_millis(millis: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=millis)


def _parse_strict(text: str, round_up: bool) -> int | None:
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    fraction = parts["fraction"]
    try:
        moment = datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or (23 if round_up else 0)),
            int(parts["minute"] or (59 if round_up else 0)),
            int(parts["second"] or (59 if round_up else 0)),
            tzinfo=UTC,
        )
    except ValueError:
        return None
    if fraction is not None:
        millis_part = int(fraction.ljust(9, "0")[:3])
    else:
        millis_part = 999 if round_up else 0
    millis = _millis(moment) + millis_part
    zone = parts["zone"]
    if zone and zone != "Z":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        if hours > 18 or minutes > 59:
            return None
        offset = (hours * 60 + minutes) * 60_000
        millis += -offset if zone[0] == "+" else offset
    return millis


def parse_date(text: str, *, round_up: bool) -> int | None:
    """Epoch milliseconds of a date in the default format, or None if it does not parse."""
    strict = _parse_strict(text, round_up)
    if strict is not None:
        return strict
    if _EPOCH_MILLIS.fullmatch(text) and len(text) <= 19:
        return int(text)
    return None


def _add_months(moment: datetime, months: int) -> datetime:
    total = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _round_down(moment: datetime, unit: str) -> datetime:
    if unit == "y":
        return moment.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "M":
        return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if unit == "w":
        start = moment - timedelta(days=moment.weekday())
        return start.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "d":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit in "hH":
        return moment.replace(minute=0, second=0, microsecond=0)
    if unit == "m":
        return moment.replace(second=0, microsecond=0)
    return moment.replace(microsecond=0)


def _shift(moment: datetime, unit: str, amount: int) -> datetime:
    if unit == "y":
        return _add_months(moment, 12 * amount)
    if unit == "M":
        return _add_months(moment, amount)
    seconds = {"w": 604_800, "d": 86_400, "h": 3600, "H": 3600, "m": 60, "s": 1}[unit]
    return moment + timedelta(seconds=seconds * amount)


def _apply_math(start: int, math: str, round_up: bool) -> int | None:
    moment = _from_millis(start)
    position = 0
    while position < len(math):
        match = _MATH.match(math, position)
        if match is None:
            return None
        sign, digits, unit, rounding = match.groups()
        if rounding is not None:
            moment = _round_down(moment, rounding)
            if round_up:
                moment = _shift(moment, rounding, 1) - timedelta(milliseconds=1)
        else:
            amount = int(digits) if digits else 1
            moment = _shift(moment, unit, amount if sign == "+" else -amount)
        position = match.end()
    return _millis(moment)


_FIXED_SHIFT = re.compile(r"([+-])(\d*)([wdhHms])")
_SHIFT_MILLIS = {"w": 604_800_000, "d": 86_400_000, "h": 3_600_000, "H": 3_600_000, "m": 60_000}


def now_offset(text: str) -> int | None:
    """For `now` shifted by weeks to seconds only (`now-7d`, `now+1h-30m`), the shift in
    milliseconds; None for other text (months, years and rounding depend on the date)."""
    if not text.startswith("now"):
        return None
    offset = 0
    position = 3
    while position < len(text):
        match = _FIXED_SHIFT.match(text, position)
        if match is None:
            return None
        sign, digits, unit = match.groups()
        amount = (int(digits) if digits else 1) * _SHIFT_MILLIS.get(unit, 1000)
        offset += amount if sign == "+" else -amount
        position = match.end()
    return offset


def is_date_math(text: str) -> bool:
    """Whether `text` uses date math (`now...` or `date||...`)."""
    return text.startswith("now") or "||" in text


def parse_bound(text: str, *, round_up: bool, now_millis: int) -> int | None:
    """Epoch milliseconds of a query bound, with date math; None if it does not parse."""
    if text.startswith("now"):
        return _apply_math(now_millis, text[3:], round_up)
    anchor, separator, math = text.partition("||")
    if not separator:
        return parse_date(text, round_up=round_up)
    start = parse_date(anchor, round_up=False)
    if start is None:
        return None
    return _apply_math(start, math, round_up)
