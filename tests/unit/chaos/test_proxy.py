"""The throttling proxy's bulk surgery: operations split, answers merged in order."""

import json

import pytest

from tests.chaos.proxy import merge_items, split_bulk, throttled_item


def _line(value: object) -> bytes:
    return json.dumps(value).encode()


def test_a_bulk_body_splits_into_its_operations() -> None:
    body = b"\n".join([
        _line({"index": {"_id": "a"}}), _line({"title": "A"}),
        _line({"delete": {"_id": "b"}}),
        _line({"create": {"_id": "c"}}), _line({"title": "C"}),
    ]) + b"\n"  # fmt: skip
    operations = split_bulk(body)
    assert [len(operation) for operation in operations] == [2, 1, 2]
    assert json.loads(operations[2][0]) == {"create": {"_id": "c"}}


def test_a_line_that_is_no_action_is_refused() -> None:
    with pytest.raises(ValueError, match="not a bulk action"):
        split_bulk(_line({"title": "no action"}))


def test_a_throttled_item_is_a_429_for_its_document() -> None:
    item = throttled_item([_line({"create": {"_index": "alerts", "_id": "x"}}), b"{}"])
    assert item["create"]["_id"] == "x"
    assert item["create"]["status"] == 429
    assert item["create"]["error"]["type"] == "es_rejected_execution_exception"


def test_answers_merge_in_request_order() -> None:
    injected = {1: {"index": {"_id": "b", "status": 429}}}
    real = [{"index": {"_id": "a", "status": 201}}, {"index": {"_id": "c", "status": 201}}]
    merged = merge_items(injected, real, 3)
    assert [next(iter(item.values()))["_id"] for item in merged] == ["a", "b", "c"]
