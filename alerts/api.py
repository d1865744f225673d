"""The rules and alerts API: its routes, each behind the bearer-token checks of alerts/access.py."""

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import structlog
from aiohttp import web

from alerts.access import ApiAccess, Role, is_loopback
from alerts.errors import InvalidRuleError, RuleNotFoundError
from alerts.outbox import AlertStore
from alerts.rules import RuleStore, parse_draft
from contracts import WirewatchError
from index import QueryError
from matcher import UnsupportedQueryError

log = structlog.get_logger(__name__)


def alert_routes(rules: RuleStore, alerts: AlertStore, access: ApiAccess) -> list[web.RouteDef]:
    """The rules and alerts API: GET/POST /rules, DELETE /rules/{id}, GET /alerts?size=N.

    POST takes {name, query, webhooks, enabled} and answers 201 with the rule, or 400 with
    the reason it was refused (an unsupported query says what is unsupported). Webhook URLs
    are shown masked. Errors answer {"error": message}. Every route is `guarded`: reads need
    a read or write token, changes a write token.
    """

    async def list_rules(request: web.Request) -> web.Response:
        return web.json_response([rule.public() for rule in await rules.rules()])

    async def add_rule(request: web.Request) -> web.Response:
        try:
            data = await request.json()
        except ValueError:
            return _error(400, "the body must be a JSON object: {name, query, webhooks, enabled}")
        if not isinstance(data, dict):
            return _error(400, "the body must be a JSON object: {name, query, webhooks, enabled}")
        rule = await rules.add(parse_draft(data))
        return web.json_response(rule.public(), status=201)

    async def remove_rule(request: web.Request) -> web.Response:
        await rules.remove(request.match_info["rule_id"])
        return web.Response(status=204)

    async def recent_alerts(request: web.Request) -> web.Response:
        try:
            size = int(request.query.get("size", "20"))
        except ValueError:
            size = -1
        if not 0 < size <= 1000:
            return _error(400, "size must be a whole number from 1 to 1000")
        return web.json_response([alert.summary() for alert in await alerts.recent(size)])

    return [
        web.get("/rules", guarded(access, Role.READ, _answering_errors(list_rules))),
        web.post("/rules", guarded(access, Role.WRITE, _answering_errors(add_rule))),
        web.delete("/rules/{rule_id}", guarded(access, Role.WRITE, _answering_errors(remove_rule))),
        web.get("/alerts", guarded(access, Role.READ, _answering_errors(recent_alerts))),
    ]


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_CHALLENGE = 'Bearer realm="wirewatch"'
_HOW = (
    "send 'Authorization: Bearer <token>' with a token of WIREWATCH_SERVICE__API_READ_TOKENS "
    "(to read) or WIREWATCH_SERVICE__API_WRITE_TOKENS (to read and change rules), or their "
    "_FILE variants"
)


def guarded(access: ApiAccess, needed: Role, handler: Handler) -> Handler:
    """`handler` behind the API's checks, in this order:

    - with tokens configured: 401 (with `WWW-Authenticate: Bearer`) without a bearer token
      or with an unknown one, 403 when a read token asks to write;
    - without tokens (loopback only): 403 unless the Host header names this machine, so a
      web page cannot reach the API by pointing its own name at 127.0.0.1 (DNS rebinding);
    - a write with a body must be `Content-Type: application/json` (415): no browser sends
      that cross-site without a CORS preflight, which this server never grants, so a web
      page cannot post a rule as a form or text/plain (CSRF).

    Tokens are never logged nor echoed.
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        if access.open:
            host = urlsplit(f"//{request.host}").hostname or ""
            if not is_loopback(host):
                return _refused(
                    request,
                    403,
                    f"the API without tokens answers only requests to "
                    f"127.0.0.1 or localhost, not to {host!r}: use one of those, or configure "
                    "tokens (WIREWATCH_SERVICE__API_*_TOKENS)",
                )
        else:
            presented = _bearer(request)
            if presented is None:
                return _refused(
                    request, 401, f"this endpoint needs a token: {_HOW}", challenge=_CHALLENGE
                )
            granted = access.role(presented)
            if granted is None:
                return _refused(
                    request,
                    401,
                    f"the token is not valid: {_HOW}",
                    challenge=f'{_CHALLENGE}, error="invalid_token"',
                )
            if needed is Role.WRITE and granted is Role.READ:
                return _refused(
                    request,
                    403,
                    f"this token may only read: {request.method} "
                    f"{request.path} needs a token of WIREWATCH_SERVICE__API_WRITE_TOKENS",
                    challenge=f'{_CHALLENGE}, error="insufficient_scope"',
                )
        posted = needed is Role.WRITE and request.method == "POST"
        if posted and request.content_type != "application/json":
            return _refused(
                request,
                415,
                f"send the body as JSON with 'Content-Type: "
                f"application/json', not {request.content_type!r}",
            )
        return await handler(request)

    return handle


def _bearer(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme in any case)."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _refused(
    request: web.Request, status: int, message: str, *, challenge: str | None = None
) -> web.Response:
    # The path and the peer only: the Authorization header is never logged.
    log.info(
        "rules API request refused",
        method=request.method,
        path=request.path,
        peer=request.remote,
        status=status,
    )
    response = _error(status, message)
    if challenge is not None:
        response.headers["WWW-Authenticate"] = challenge
    return response


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _answering_errors(handler: Handler) -> Handler:
    """Turns wirewatch errors into JSON answers: 400 for a refused rule, 404 for an unknown
    one, 503 when Elasticsearch is unreachable (retriable), 500 for other failures."""

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (InvalidRuleError, QueryError, UnsupportedQueryError) as error:
            return _error(400, str(error))
        except RuleNotFoundError as error:
            return _error(404, str(error))
        except WirewatchError as error:
            log.warning("rules API request failed", path=request.path, error=str(error))
            return _error(503 if error.retriable else 500, str(error))

    return handle
