"""Reading bulk results: what is done, what is retried, what is given up on."""

import pytest

from index.bulk import ItemFate, bulk_fate, describe_item_error, fate, item_result


@pytest.mark.parametrize("status", [200, 201])
def test_successful_items_are_done(status: int) -> None:
    assert fate(True, status) is ItemFate.DONE


@pytest.mark.parametrize(
    "status", [429, 500, 502, 503, 504, "N/A", None], ids=lambda status: str(status)
)
def test_overload_server_errors_and_unknown_statuses_are_retried(status: object) -> None:
    assert fate(False, status) is ItemFate.RETRY


@pytest.mark.parametrize("status", [400, 409, 413])
def test_other_client_errors_are_rejected(status: int) -> None:
    assert fate(False, status) is ItemFate.REJECT


@pytest.mark.parametrize("status", [401, 403, 404])
def test_refusals_of_the_target_abort(status: int) -> None:
    assert fate(False, status) is ItemFate.ABORT


@pytest.mark.parametrize(
    "error_type", ["index_closed_exception", "cluster_block_exception", "security_exception"]
)
def test_a_closed_or_blocked_index_aborts_whatever_the_status(error_type: str) -> None:
    assert fate(False, 400, {"type": error_type, "reason": "r"}) is ItemFate.ABORT


def test_a_document_level_400_rejects_the_document() -> None:
    error = {"type": "document_parsing_exception", "reason": "failed to parse"}
    assert fate(False, 400, error) is ItemFate.REJECT


def test_a_4xx_on_the_whole_request_aborts_instead_of_rejecting_each_document() -> None:
    whole_request = {"index": {"_id": "a", "status": 400, "error": "x", "exception": ValueError()}}
    per_item = {"index": {"_id": "a", "status": 400, "error": {"type": "document_parsing"}}}
    assert bulk_fate(False, whole_request) is ItemFate.ABORT
    assert bulk_fate(False, per_item) is ItemFate.REJECT


def test_an_error_with_a_cause_names_both() -> None:
    error = {
        "type": "mapper_parsing_exception",
        "reason": "failed to parse field [published_at] of type [date]",
        "caused_by": {"type": "illegal_argument_exception", "reason": "bad date"},
    }

    assert describe_item_error(error) == (
        "mapper_parsing_exception: failed to parse field [published_at] of type [date] "
        "(caused by illegal_argument_exception: bad date)"
    )


def test_an_error_without_a_cause() -> None:
    error = {"type": "version_conflict_engine_exception", "reason": "document already exists"}

    assert describe_item_error(error) == (
        "version_conflict_engine_exception: document already exists"
    )


def test_an_error_dict_without_type_or_reason_still_reads() -> None:
    assert describe_item_error({}) == "error: "


def test_a_string_error_is_kept() -> None:
    assert describe_item_error("ConnectionTimeout caused by ReadTimeoutError") == (
        "ConnectionTimeout caused by ReadTimeoutError"
    )


def test_other_errors_are_shown_as_json() -> None:
    assert describe_item_error(["a", 1]) == '["a", 1]'
    assert describe_item_error(None) == "null"


def test_item_result_reads_status_and_error_of_any_operation() -> None:
    error = {"type": "mapper_parsing_exception", "reason": "x"}

    assert item_result({"index": {"_id": "a", "status": 400, "error": error}}) == (400, error)
    assert item_result({"create": {"_id": "a", "status": 201}}) == (201, None)
