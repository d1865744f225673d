"""Kibana's saved objects for wirewatch: reading the NDJSON file, checking it, importing it.

The file (deploy/kibana/wirewatch.ndjson) holds the data views, the saved searches, the
visualisations and the dashboard. Everything but the HTTP call is pure, so the file checks and
the request can be tested without a Kibana.
"""

import base64
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from contracts import WirewatchError, without_userinfo

DEFAULT_FILE = Path("deploy") / "kibana" / "wirewatch.ndjson"
IMPORT_PATH = "/api/saved_objects/_import"
_SEARCH_SOURCE = "kibanaSavedObjectMeta"
_KQL_FIELD = re.compile(r"([A-Za-z_@][\w.@-]*)\s*:")


class KibanaError(WirewatchError):
    """The saved objects could not be read or imported."""


@dataclass(frozen=True)
class ImportRequest:
    """What `POST /api/saved_objects/_import` needs: URL, headers and the file part."""

    url: str
    headers: dict[str, str]
    filename: str
    content: bytes


def load(path: Path) -> list[dict[str, Any]]:
    """The saved objects of an NDJSON file, one per non-empty line.

    Raises KibanaError naming the line when one is not a JSON object with a type and an id.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise KibanaError(f"cannot read the saved objects file {path}: {error}") from error
    objects = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise KibanaError(f"{path}:{number}: not JSON: {error}") from error
        if not isinstance(item, dict) or not item.get("type") or not item.get("id"):
            raise KibanaError(f"{path}:{number}: a saved object needs a 'type' and an 'id'")
        objects.append(item)
    return objects


def dangling_references(objects: list[dict[str, Any]]) -> list[str]:
    """Each reference to an object that is not in `objects`, as 'type/id -> type/id'."""
    present = {(item["type"], item["id"]) for item in objects}
    return [
        f"{item['type']}/{item['id']} -> {reference['type']}/{reference['id']}"
        for item in objects
        for reference in item.get("references", [])
        if (reference["type"], reference["id"]) not in present
    ]


def fields_by_data_view(objects: list[dict[str, Any]]) -> dict[str, set[str]]:
    """The fields each data view's objects use, by the data view's index pattern (its title).

    Covers the data view's time field, saved searches' columns, sort fields and KQL field
    names, and the fields of visualisations' aggregations.
    """
    views = {item["id"]: item["attributes"] for item in objects if item["type"] == "index-pattern"}
    used: dict[str, set[str]] = {view["title"]: set() for view in views.values()}
    for view in views.values():
        if view.get("timeFieldName"):
            used[view["title"]].add(view["timeFieldName"])
    for item in objects:
        view_ids = [
            ref["id"] for ref in item.get("references", []) if ref["type"] == "index-pattern"
        ]
        fields = _fields_of(item)
        for view_id in view_ids:
            if view_id in views:
                used[views[view_id]["title"]] |= fields
    return used


def _fields_of(item: dict[str, Any]) -> set[str]:
    attributes = item.get("attributes", {})
    fields = set(attributes.get("columns", []))
    fields |= {pair[0] for pair in attributes.get("sort", [])}
    source = json.loads(attributes.get(_SEARCH_SOURCE, {}).get("searchSourceJSON") or "{}")
    fields |= kql_fields(source.get("query", {}).get("query", ""))
    if "visState" in attributes:
        for aggregation in json.loads(attributes["visState"]).get("aggs", []):
            field = aggregation.get("params", {}).get("field")
            if field:
                fields.add(field)
    return fields


def kql_fields(query: str) -> set[str]:
    """Field names of `field : value` clauses in a KQL query (quoted values are skipped)."""
    unquoted = " ".join(query.split('"')[::2])
    return set(_KQL_FIELD.findall(unquoted))


def import_request(
    kibana_url: str,
    content: bytes,
    *,
    username: str | None = None,
    password: str | None = None,
    api_key: str | None = None,
    space: str | None = None,
) -> ImportRequest:
    """The import request: overwrite existing objects of the same ids, into `space` if given.

    An API key wins over a username and password; Kibana refuses the request without the
    kbn-xsrf header.
    """
    base = kibana_url.rstrip("/") + (f"/s/{space}" if space else "")
    headers = {"kbn-xsrf": "wirewatch"}
    if api_key:
        headers["Authorization"] = f"ApiKey {api_key}"
    elif username:
        token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return ImportRequest(
        url=f"{base}{IMPORT_PATH}?overwrite=true",
        headers=headers,
        filename="wirewatch.ndjson",
        content=content,
    )


def import_failures(response: dict[str, Any]) -> list[str]:
    """What Kibana's import answer says went wrong, one line per object ([] on success)."""
    failures = [
        f"{error.get('type')}/{error.get('id')}: {error.get('error', {}).get('type', 'error')}"
        + (f" ({error['error']['reason']})" if error.get("error", {}).get("reason") else "")
        for error in response.get("errors", [])
    ]
    if not failures and not response.get("success", False):
        failures.append(f"Kibana did not report success: {json.dumps(response)[:500]}")
    return failures


async def import_saved_objects(request: ImportRequest, *, timeout_s: float = 60) -> int:
    """Sends the import request; returns how many objects Kibana imported.

    Raises KibanaError (retriable for connection errors and 5xx) saying what Kibana answered.
    """
    form = aiohttp.FormData()
    form.add_field(
        "file", request.content, filename=request.filename, content_type="application/ndjson"
    )
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session,
            session.post(request.url, data=form, headers=request.headers) as response,
        ):
            text = await response.text()
            if response.status >= 400:
                raise KibanaError(
                    f"Kibana at {without_userinfo(request.url)} answered {response.status}: "
                    f"{text[:500]}. "
                    "Check the URL, the credentials, and that Kibana is ready.",
                    retriable=response.status >= 500,
                )
    except (aiohttp.ClientError, TimeoutError) as error:
        raise KibanaError(
            f"cannot reach Kibana at {without_userinfo(request.url)}: "
            f"{without_userinfo(str(error)) or type(error).__name__}. "
            "Is it running and ready?",
            retriable=True,
        ) from error
    try:
        answer = json.loads(text)
    except json.JSONDecodeError as error:
        raise KibanaError(f"Kibana's answer is not JSON: {text[:500]}") from error
    failures = import_failures(answer)
    if failures:
        raise KibanaError("Kibana refused saved objects:\n  " + "\n  ".join(failures))
    return int(answer.get("successCount", 0))
