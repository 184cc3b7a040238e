"""The table's HTTP and WebSocket API (Starlette); the page is served from ``web/static``.

The calls, their answers and codes are in ``web/PROTOCOL.md``. Handlers only translate: every
decision is :class:`web.table.Table`'s, which raises :class:`ApiError` for a refusal.
"""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Optional

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from ruimtepuzzel.web.parties import Party
from ruimtepuzzel.web.store import Store
from ruimtepuzzel.web.table import ApiError, Table

MAX_BODY = 1 << 20  # 1 MB
STATIC = Path(__file__).parent / "static"
NO_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>ruimtepuzzel table</title>
<body><h1>ruimtepuzzel negotiation table</h1><p>The page is not built in this install
(<code>web/static</code> is missing). The API answers at <a href="/api/table">/api/table</a>.</p></body></html>"""


class Hub:
    """The open WebSockets; :meth:`send` may be called from any thread."""

    def __init__(self):
        self.sockets: set[WebSocket] = set()
        self.loop: Optional[asyncio.AbstractEventLoop] = None

    def send(self, message: dict) -> None:
        if self.loop is not None and not self.loop.is_closed():
            asyncio.run_coroutine_threadsafe(self._broadcast(message), self.loop)

    async def _broadcast(self, message: dict) -> None:
        text = json.dumps(message, allow_nan=False, default=str)
        for ws in list(self.sockets):
            try:
                await ws.send_text(text)
            except Exception:
                self.sockets.discard(ws)


def _token(request) -> Optional[str]:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _reject_constant(name: str):
    raise ApiError(422, f"{name} is not a finite number")


async def _body(request: Request):
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise ApiError(413, f"the body is {int(length):,} bytes; at most {MAX_BODY:,}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiError(413, f"the body is over {MAX_BODY:,} bytes")
    if not body.strip():
        return {}
    try:
        return json.loads(bytes(body), parse_constant=_reject_constant)
    except ApiError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(422, f"the body is not valid JSON: {exc}") from None


def _json(data, status: int = 200) -> JSONResponse:
    """The answer as JSON; NaN and infinities as null (rendered as is first: walking every value of a plan's cells
    and summary, 36,846 units and 3,122 rows on ``nl-provinces``, only when one is not finite)."""
    try:
        return JSONResponse(data, status_code=status)
    except ValueError:  # a NaN or an infinity (JSONResponse renders with allow_nan=False)
        return JSONResponse(_clean(data), status_code=status)


def _clean(value):
    """NaN and infinities become null (JSON has neither)."""
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def create_app(folder, scenario: Optional[str], db: Path, parties: Optional[list[Party]]) -> Starlette:
    """The ASGI app of one table; the solver process starts with the app (its lifespan)."""
    hub = Hub()
    store = Store(db)
    table = Table(Path(folder), scenario, store, parties, broadcast=hub.send)

    def me(request) -> Party:
        return table.caller(_token(request))

    def pid_of(request) -> int:
        return int(request.path_params["pid"])

    async def health(request):
        return _json({"status": "ok"})

    async def get_table(request):
        return _json(await run_in_threadpool(table.table, me(request)))

    async def geometry(request):
        me(request)
        return _json(await run_in_threadpool(table.geometry))

    async def propose(request):
        caller = me(request)
        body = await _body(request)
        pid = await run_in_threadpool(table.propose, caller, body)
        return _json({"id": pid}, 202)

    def reader(method, media: Optional[str] = None, filename: Optional[str] = None):
        async def handler(request):
            me(request)
            pid = pid_of(request)
            answer = await run_in_threadpool(getattr(table, method), pid)
            if media is None:
                return _json(answer)
            headers = {"Content-Disposition": f'attachment; filename="{filename.format(pid=pid, name=table.instance.name)}"'}
            return Response(answer, media_type=media, headers=headers)
        return handler

    def writer(method, status: int = 200, with_body: bool = False):
        async def handler(request):
            caller = me(request)
            pid = pid_of(request)
            body = await _body(request) if with_body else None
            args = (caller, pid, body) if with_body else (caller, pid)
            return _json(await run_in_threadpool(getattr(table, method), *args), status)
        return handler

    async def get_ranges(request):
        me(request)
        q = request.query_params
        answer = await run_in_threadpool(table.ranges, pid_of(request), q.get("level"), q.get("slack"))
        return _json(answer)

    async def get_alternatives(request):
        me(request)
        q = request.query_params
        answer = await run_in_threadpool(table.alternatives, pid_of(request), q.get("count"), q.get("slack"))
        return _json(answer)

    async def events(ws: WebSocket):
        try:
            table.caller(ws.query_params.get("token"))
        except ApiError:
            await ws.close(code=4401)
            return
        await ws.accept()
        hub.sockets.add(ws)
        try:
            await ws.send_text(json.dumps({"type": "table", "id": None}))
            while True:
                await ws.receive_text()  # the page says nothing; this waits for the close
        except WebSocketDisconnect:
            pass
        finally:
            hub.sockets.discard(ws)

    async def api_error(request, exc: ApiError):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    async def not_found(request, exc):
        return JSONResponse({"detail": f"not found: {request.url.path}"}, status_code=404)

    async def no_page(request):
        return HTMLResponse(NO_PAGE)

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        hub.loop = asyncio.get_running_loop()
        await run_in_threadpool(table.start)
        try:
            yield
        finally:
            await run_in_threadpool(table.stop)
            hub.loop = None

    p = "/api/proposals/{pid:int}"
    routes = [
        Route("/api/health", health),
        Route("/api/table", get_table),
        Route("/api/geometry", geometry),
        Route("/api/proposals", propose, methods=["POST"]),
        Route(p, reader("proposal")),
        Route(p + "/cells", reader("cells")),
        Route(p + "/diff", reader("diff")),
        Route(p + "/duals", reader("duals")),
        Route(p + "/start", reader("start_plan")),
        Route(p + "/allocation.csv", reader("allocation_csv", "text/csv", "{name}-proposal-{pid}-allocation.csv")),
        Route(p + "/summary.csv", reader("summary_csv", "text/csv", "{name}-proposal-{pid}-summary.csv")),
        Route(p + "/scenario.yaml", reader("scenario_yaml", "application/yaml", "{name}-proposal-{pid}.yaml")),
        Route(p + "/run.zip", reader("run_zip", "application/zip", "{name}-proposal-{pid}.zip")),
        Route(p + "/cancel", writer("cancel"), methods=["POST"]),
        Route(p + "/solve", writer("solve_again", 202), methods=["POST"]),
        Route(p + "/votes", writer("vote", 201, with_body=True), methods=["POST"]),
        Route(p + "/adopt", writer("adopt"), methods=["POST"]),
        Route(p + "/ranges", get_ranges, methods=["GET"]),
        Route(p + "/ranges", writer("ask_ranges", 202, with_body=True), methods=["POST"]),
        Route(p + "/alternatives", get_alternatives, methods=["GET"]),
        Route(p + "/alternatives", writer("ask_alternatives", 202, with_body=True), methods=["POST"]),
        WebSocketRoute("/api/events", events),
    ]
    if (STATIC / "index.html").exists():
        routes.append(Mount("/", StaticFiles(directory=STATIC, html=True), name="page"))
    else:
        routes.append(Route("/", no_page))
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={ApiError: api_error, 404: not_found})
    app.state.table, app.state.store, app.state.hub = table, store, hub
    return app
