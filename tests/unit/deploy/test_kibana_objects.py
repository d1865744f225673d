"""The Kibana saved objects file and the import request, without a Kibana."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from index import mappings
from wirewatch import kibana

OBJECTS = kibana.load(kibana.DEFAULT_FILE)
TOPICS_FILE = Path(__file__).parents[3] / "enrich" / "data" / "topics.yaml"


def by_type(kind: str) -> list[dict[str, Any]]:
    return [item for item in OBJECTS if item["type"] == kind]


def test_every_reference_points_at_an_object_in_the_file() -> None:
    assert kibana.dangling_references(OBJECTS) == []


def test_ids_are_unique() -> None:
    keys = [(item["type"], item["id"]) for item in OBJECTS]
    assert len(keys) == len(set(keys))


def test_data_views_have_the_time_fields_users_filter_on() -> None:
    views = {item["id"]: item["attributes"] for item in OBJECTS if item["type"] == "index-pattern"}
    assert views["wirewatch-articles"]["timeFieldName"] == "published_at"
    assert views["wirewatch-alerts"]["timeFieldName"] == "matched_at"


def test_the_dashboard_shows_topics_over_time_top_facets_and_latest_alerts() -> None:
    (dashboard,) = by_type("dashboard")
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    references = {ref["name"]: ref["id"] for ref in dashboard["references"]}
    shown = {references[f"{panel['panelIndex']}:{panel['panelRefName']}"] for panel in panels}
    assert shown == {
        "wirewatch-articles-per-topic",
        "wirewatch-top-countries",
        "wirewatch-top-weapons",
        "wirewatch-top-organizations",
        "wirewatch-latest-alerts",
    }


def test_article_fields_used_by_the_objects_are_in_the_template_mapping() -> None:
    # The integration test checks the same against the mapping of the real index.
    properties = mappings("standard")["properties"]
    used = kibana.fields_by_data_view(OBJECTS)["wirewatch-articles"]
    assert used
    assert {field for field in used if field.split(".")[0] not in properties} == set()


def test_saved_search_queries_name_their_fields() -> None:
    assert kibana.kql_fields('topics : "sanctions: new" and (countries:RU or deals.weapon: x)') == {
        "topics",
        "countries",
        "deals.weapon",
    }


def test_load_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "objects.ndjson"
    path.write_text('{"type": "search", "id": "a"}\n\n{"type": "search"\n')
    with pytest.raises(kibana.KibanaError, match=r"objects.ndjson:3: not JSON"):
        kibana.load(path)
    path.write_text('{"type": "search"}\n')
    with pytest.raises(kibana.KibanaError, match=r":1: a saved object needs a 'type' and an 'id'"):
        kibana.load(path)


def test_import_request_overwrites_into_the_space_with_basic_auth() -> None:
    request = kibana.import_request(
        "http://kibana:5601/", b"{}", username="elastic", password="pw", space="ops"
    )
    assert request.url == "http://kibana:5601/s/ops/api/saved_objects/_import?overwrite=true"
    assert request.headers["kbn-xsrf"]
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"elastic:pw").decode()
    assert request.content == b"{}"


def test_an_api_key_wins_over_a_password() -> None:
    request = kibana.import_request("http://k", b"", username="u", password="p", api_key="KEY")
    assert request.headers["Authorization"] == "ApiKey KEY"
    assert kibana.import_request("http://k", b"").headers == {"kbn-xsrf": "wirewatch"}


def test_import_failures_name_each_refused_object() -> None:
    answer = {
        "success": False,
        "successCount": 1,
        "errors": [
            {"type": "search", "id": "s1", "error": {"type": "missing_references"}},
            {"type": "dashboard", "id": "d", "error": {"type": "unknown", "reason": "boom"}},
        ],
    }
    assert kibana.import_failures(answer) == [
        "search/s1: missing_references",
        "dashboard/d: unknown (boom)",
    ]
    assert kibana.import_failures({"success": True, "successCount": 3}) == []
    assert kibana.import_failures({"statusCode": 200})[0].startswith("Kibana did not report")


def test_there_is_one_saved_search_per_topic_of_the_taxonomy() -> None:
    taxonomy = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    queries = [
        json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])["query"]
        for search in by_type("search")
    ]
    searched = [
        query["query"].split('"')[1]
        for query in queries
        if "topics" in kibana.kql_fields(query["query"])
    ]
    assert sorted(searched) == sorted(taxonomy["topics"])
