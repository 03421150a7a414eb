"""The dashboard's web server: Starlette on uvicorn, in its own thread with its own loop.

    dash = Dashboard(state_dir, settings, runtime=runtime)   # or fleet=url for the fleet view
    if dash.start():          # False (after one line) if the port is taken: run on without it
        ...
    dash.stop()

Secure by default: it binds to 127.0.0.1 unless `[dashboard] bind` says otherwise; every
route but /login and /static needs a session; every POST needs the session's CSRF token
(and a same-origin Origin when the browser sends one); actions are checked against the
account's role and written to the audit log; logins back off per address and per account.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import hmac
import json
import logging
import secrets
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from museokit.core.device import CommandError
from museokit.core.events import NAME_RE
from museokit.core.opsconfig import DashboardConfig
from museokit.dashboard import pages
from museokit.dashboard.audit import AUDIT_FILE, Audit
from museokit.dashboard.auth import (
    ACCOUNTS_FILE,
    AccountError,
    Accounts,
    LoginThrottle,
    Session,
    Sessions,
    role_at_least,
)
from museokit.dashboard.model import Handoff, Model, device_json
from museokit.dashboard.notes import NOTES_FILE, Notes

if TYPE_CHECKING:
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit.dashboard")

STATIC = Path(__file__).parent / "static"
STATIC_FILES = {"app.js": "text/javascript", "app.css": "text/css"}
MEDIA_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".wav", ".ogg", ".mp3",
                            ".mp4", ".webm", ".txt"})
BODY_LIMIT = 64 * 1024
PHOTO_LIMIT = 3 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}
#: Live updates leave in batches at most this often (seconds).
DRAIN_EVERY = 0.1
COOKIE, PRE_COOKIE, LANG_COOKIE = "mk_session", "mk_pre", "mk_lang"
#: Action -> the least role that may do it. A viewer can do none.
ACTIONS = {"test": "technician", "restart": "technician", "reboot": "technician",
           "shutdown": "technician", "out-of-order": "staff", "note": "staff", "photo": "staff"}
DOWNLOADS = {"audit.csv": "technician", "interactions.csv": "technician",
             "report.html": "technician"}
POWER = {"reboot": ["systemctl", "reboot"], "shutdown": ["systemctl", "poweroff"]}
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; "
                                 b"frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"), (b"cache-control", b"no-store")]


class Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


class Guard:
    """ASGI middleware: body size limit (413) and security headers on every response."""

    def __init__(self, app: ASGIApp, limit: int = BODY_LIMIT) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        limit = PHOTO_LIMIT + 4096 if scope["path"] == "/action/photo" else self.limit
        length = dict(scope["headers"]).get(b"content-length")
        too_large = PlainTextResponse(f"request body too large (limit {limit // 1024} KB)", 413)
        if length is not None and (not length.isdigit() or int(length) > limit):
            await too_large(scope, receive, headed)
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, headed)
            return
        # Read the whole (small) body first, so that a chunked one over the limit is a 413
        # too, answered here before the app sees any of it.
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_large(scope, receive, headed)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body, given = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal given
            if given:
                return await receive()
            given = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, headed)


def lan_address() -> str:
    """This box's address on its LAN (the route's source address; nothing is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.168.255.255", 9))
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


class Dashboard:
    def __init__(self, state_dir: Path, settings: DashboardConfig, *, runtime: Runtime | None = None,
                 title: str = "museokit", media_folder: Path | None = None,
                 interactions: Callable[[], str] | None = None,
                 interactions_csv: Callable[[], str | None] | None = None,
                 report: Callable[[], str | None] | None = None,
                 power: dict[str, list[str]] | None = None) -> None:
        self.state_dir = state_dir
        self.settings = settings
        self.runtime = runtime
        self.title = title
        self.media_folder = media_folder.resolve() if media_folder else None
        self.interactions = interactions
        self.interactions_csv = interactions_csv
        self.report = report
        self.power = power or POWER
        self.handoff = Handoff()
        self.model = Model()
        self.accounts = Accounts(state_dir / ACCOUNTS_FILE)
        self.sessions = Sessions(settings.session_minutes)
        self.throttle = LoginThrottle()
        self.audit = Audit(state_dir / AUDIT_FILE)
        self.notes = Notes(state_dir / NOTES_FILE)
        self.clients: set[asyncio.Queue[str | None]] = set()
        self.hours: Callable[[], str] = lambda: ""
        self.health: Callable[[], tuple[str, str, dict[str, Any]] | None] = lambda: None
        self.address = ""
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._last_drain = 0.0
        self.app = Guard(self._routes())

    # -- running -----------------------------------------------------------------------
    def start(self) -> bool:
        """Listen and serve in a thread. False, after one line, if the address is unusable."""
        import uvicorn

        s = self.settings
        host = lan_address() if s.bind == "lan" else s.bind
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, s.port))
            sock.listen(64)
        except OSError as exc:
            sock.close()
            why = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"
            log.error("dashboard: %s:%d %s — the installation runs without it; set [dashboard] "
                      "port to a free port", host, s.port, why)
            return False
        ssl_opts: dict[str, Any] = {}
        if s.tls_cert and s.tls_key:
            ssl_opts = {"ssl_certfile": s.tls_cert, "ssl_keyfile": s.tls_key}
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=1, **ssl_opts)
        try:
            config.load()
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            log.error("dashboard: TLS files %s / %s cannot be loaded (%s) — the installation runs "
                      "without the dashboard; `museokit dashboard cert PATH` writes a pair",
                      s.tls_cert, s.tls_key, exc)
            return False
        self._server = uvicorn.Server(config)
        port = sock.getsockname()[1]
        self.address = f"{host}:{port}"
        self.url = f"{'https' if ssl_opts else 'http'}://{'[' + host + ']' if ':' in host else host}:{port}"
        self._thread = threading.Thread(target=self._run, args=(sock,), name="museokit dashboard",
                                        daemon=True)
        self._thread.start()
        self._ready.wait(10)
        log.debug("dashboard on %s", self.url)
        return True

    def _run(self, sock: socket.socket) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop

        def wake() -> None:
            loop.call_soon_threadsafe(self._drain_soon)
        self.handoff.wake = wake
        loop.call_soon(self._drain)
        health = loop.create_task(self._health_every(10.0))
        loop.call_soon(self._ready.set)
        try:
            loop.run_until_complete(self._server.serve(sockets=[sock]))
        finally:
            health.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(health)
            loop.close()
            sock.close()

    def stop(self) -> None:
        loop = self._loop
        if self._server is None or loop is None or self._thread is None:
            self.audit.close()
            return
        self._server.should_exit = True
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._end_streams)
        self._thread.join(10)
        self.handoff.wake = None
        self.audit.close()

    def _end_streams(self) -> None:
        for q in list(self.clients):
            q.put_nowait(None)
        self.clients.clear()

    def _drain_soon(self) -> None:
        """Coalesce: at most one batch every DRAIN_EVERY seconds, so a busy installation
        wakes this thread (and takes the GIL from its loop) a few times a second, not per event."""
        loop = asyncio.get_running_loop()
        delay = self._last_drain + DRAIN_EVERY - loop.time()
        if delay > 0:
            loop.call_later(delay, self._drain)
        else:
            self._drain()

    def _drain(self) -> None:
        if self._loop is not None:
            self._last_drain = self._loop.time()
        latest: dict[Any, dict[str, Any]] = {}
        for item in self.handoff.take():
            msg = self.model.apply(item)
            if msg is not None:
                key = (msg["t"], msg.get("site"), msg.get("node"), msg.get("id"), msg.get("key"),
                       len(latest) if msg["t"] == "error" else 0)
                latest.pop(key, None)
                latest[key] = msg
        if not latest or not self.clients:
            return
        batch = f"data: {json.dumps(list(latest.values()), default=str)}\n\n"
        for q in list(self.clients):
            if q.qsize() > 200:  # a client that stopped reading is dropped, not waited for
                self.clients.discard(q)
                q.put_nowait(None)
            else:
                q.put_nowait(batch)

    async def _health_every(self, seconds: float) -> None:
        while True:
            snap = await asyncio.get_running_loop().run_in_executor(None, self.health)
            if snap is not None:
                self.handoff.put(("node", snap[0], snap[1], {"health": snap[2]}))
            await asyncio.sleep(seconds)

    # -- helpers -----------------------------------------------------------------------
    def _lang(self, request: Request) -> str:
        lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or ""
        if lang not in pages.STRINGS:
            accept = request.headers.get("accept-language", "")
            lang = "fr" if accept.lower().startswith("fr") else "en"
        return lang

    def _html(self, request: Request, html: str, status: int = 200) -> HTMLResponse:
        response = HTMLResponse(html, status)
        if request.query_params.get("lang") in pages.STRINGS:
            response.set_cookie(LANG_COOKIE, self._lang(request), samesite="strict",
                                max_age=365 * 86400)
        return response

    def _session(self, request: Request, role: str = "viewer", page: bool = False) -> Session:
        session = self.sessions.get(request.cookies.get(COOKIE))
        if session is None:
            raise Refused(RedirectResponse("/login", 303) if page else
                          JSONResponse({"message": "log in first"}, 401))
        if not role_at_least(session.role, role):
            self.audit.record(session.user, session.role, _client(request), request.url.path,
                              "refused: role", ok=False)
            raise Refused(JSONResponse({"message": f"a {session.role} cannot do this; "
                                        f"it needs a {role} account"}, 403))
        return session

    def _check_post(self, request: Request, session: Session | None, token: str | None,
                    expected: str | None) -> None:
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        if origin and origin.split("://", 1)[-1] != host:
            raise Refused(JSONResponse({"message": "cross-site request refused"}, 403))
        if not token or not expected or not hmac.compare_digest(token, expected):
            if session is not None:
                self.audit.record(session.user, session.role, _client(request), request.url.path,
                                  "refused: CSRF token", ok=False)
            raise Refused(JSONResponse({"message": "missing or wrong CSRF token: reload the page"},
                                       403))

    async def _fields(self, request: Request) -> dict[str, str]:
        fields, _ = await self._form(request)
        return fields

    async def _form(self, request: Request, files: int = 0) -> tuple[dict[str, str], bytes | None]:
        """The fields of a JSON or form body, and the one file of a multipart body (`files=1`)."""
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                data = json.loads(await request.body())
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                raise Refused(JSONResponse({"message": f"bad JSON: {exc}"}, 400)) from None
            if not isinstance(data, dict):
                raise Refused(JSONResponse({"message": "bad JSON: expected an object"}, 400))
            return ({str(k): str(v) for k, v in data.items()
                     if isinstance(v, str | int | float | bool)}, None)
        try:
            form = await request.form(max_files=files, max_fields=20, max_part_size=PHOTO_LIMIT)
            upload = next((v for v in form.values() if not isinstance(v, str)), None)
            content = await upload.read() if upload is not None else None
        except Exception as exc:  # a malformed multipart or urlencoded body
            raise Refused(JSONResponse({"message": f"bad form: {exc}"}, 400)) from None
        return {k: v for k, v in form.items() if isinstance(v, str)}, content

    async def on_loop(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn(*args)` on the installation's loop thread and wait for it (5 s at most)."""
        assert self.runtime is not None
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn(*args))
            except BaseException as exc:
                done.set_exception(exc)

        self.runtime.loop.call_soon_threadsafe(run)
        return await asyncio.wait_for(asyncio.wrap_future(done), 5)

    # -- routes ------------------------------------------------------------------------
    def _routes(self) -> Starlette:
        def guarded(fn: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
            async def call(request: Request) -> Response:
                try:
                    return await fn(request)
                except Refused as refused:
                    return refused.response
            return call

        routes = [
            Route("/login", guarded(self.login_page), methods=["GET"]),
            Route("/login", guarded(self.login), methods=["POST"]),
            Route("/logout", guarded(self.logout), methods=["POST"]),
            Route("/", guarded(self.overview), methods=["GET"]),
            Route("/history", guarded(self.history), methods=["GET"]),
            Route("/fleet", guarded(self.fleet), methods=["GET"]),
            Route("/audit", guarded(self.audit_log), methods=["GET"]),
            Route("/api/state", guarded(self.state), methods=["GET"]),
            Route("/events", guarded(self.events), methods=["GET"]),
            Route("/action/{name}", guarded(self.action), methods=["POST"]),
            Route("/download/{name}", guarded(self.download), methods=["GET"]),
            Route("/media/{path:path}", guarded(self.media), methods=["GET"]),
            Route("/photo/{device}", guarded(self.photo), methods=["GET"]),
            Route("/static/{name}", guarded(self.static), methods=["GET"]),
        ]
        return Starlette(routes=routes)

    async def login_page(self, request: Request) -> Response:
        lang = self._lang(request)
        pre = request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24)
        response = self._html(request, pages.login_page(pages.STRINGS[lang], lang, pre))
        response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="strict",
                            secure=bool(self.settings.tls_cert))
        return response

    async def login(self, request: Request) -> Response:
        lang = self._lang(request)
        t = pages.STRINGS[lang]
        fields = await self._fields(request)
        pre = request.cookies.get(PRE_COOKIE)
        self._check_post(request, None, fields.get("csrf"), pre)
        name = fields.get("user", "").strip().lower()[:64]
        password = fields.get("password", "")[:256]
        client = _client(request)
        keys = (f"ip:{client}", f"user:{name}")
        wait = self.throttle.wait(*keys)
        if wait > 0:
            self.audit.record(name, "", client, "login", f"slowed: wait {wait:.0f} s", ok=False)
            response = self._html(request, pages.login_page(t, lang, pre or "", t["wait"].format(
                s=int(wait) + 1)), 429)
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        try:
            role = await asyncio.get_running_loop().run_in_executor(
                None, self.accounts.verify, name, password)
        except AccountError as exc:
            log.error("dashboard: %s", exc)
            role = None
        if role is None:
            self.throttle.failed(*keys)
            self.audit.record(name, "", client, "login", "wrong account or password", ok=False)
            return self._html(request, pages.login_page(t, lang, pre or "", t["bad_login"]), 401)
        self.throttle.succeeded(*keys)
        token, _ = self.sessions.create(name, role)
        self.audit.record(name, role, client, "login")
        done = RedirectResponse("/", 303)
        done.set_cookie(COOKIE, token, httponly=True, samesite="strict",
                            secure=bool(self.settings.tls_cert),
                            max_age=int(self.settings.session_minutes * 60))
        done.delete_cookie(PRE_COOKIE)
        return done

    async def logout(self, request: Request) -> Response:
        session = self._session(request)
        fields = await self._fields(request)
        self._check_post(request, session, request.headers.get("x-csrf-token") or fields.get("csrf"),
                         session.csrf)
        self.sessions.end(request.cookies.get(COOKIE))
        self.audit.record(session.user, session.role, _client(request), "logout")
        response = RedirectResponse("/login", 303)
        response.delete_cookie(COOKIE)
        return response

    def _page_args(self, request: Request, session: Session) -> tuple[dict[str, str], str]:
        lang = self._lang(request)
        return pages.STRINGS[lang], lang

    async def overview(self, request: Request) -> Response:
        session = self._session(request, page=True)
        t, lang = self._page_args(request, session)
        html = pages.overview(
            t, lang, self.model, name=self.title, user=session.user, role=session.role,
            csrf=session.csrf, can_test=self.runtime is not None and role_at_least(session.role,
                                                                                 "technician"),
            can_staff=role_at_least(session.role, "staff"), notes=self.notes.notes,
            media=self._media_files(), hours=self.hours(),
            interactions=(self.interactions() if self.interactions else t["no_log"]),
            downloads=self.interactions_csv is not None,
            photos={p.stem for p in (self.state_dir / "photos").glob("*.*")})
        return self._html(request, html)

    async def history(self, request: Request) -> Response:
        session = self._session(request, page=True)
        t, lang = self._page_args(request, session)
        return self._html(request, pages.history(t, lang, self.model, user=session.user,
                                                 role=session.role, csrf=session.csrf))

    async def fleet(self, request: Request) -> Response:
        session = self._session(request, page=True)
        t, lang = self._page_args(request, session)
        return self._html(request, pages.fleet(t, lang, self.model, user=session.user,
                                               role=session.role, csrf=session.csrf))

    async def audit_log(self, request: Request) -> Response:
        session = self._session(request, "technician", page=True)
        t, lang = self._page_args(request, session)
        return self._html(request, pages.audit_page(t, lang, self.audit.recent(200),
                                                    user=session.user, role=session.role,
                                                    csrf=session.csrf))

    async def state(self, request: Request) -> Response:
        self._session(request)
        m = self.model
        return JSONResponse({
            "mode": m.mode,
            "sites": {s.id: {"alerts": s.alerts, "nodes": {
                n.id: {"online": n.online, "health": n.health,
                       "devices": {d.id: device_json(d) for d in n.devices.values()}}
                for n in s.nodes.values()}} for s in m.sites.values()},
            "errors": [{"ts": ts, "where": w, "text": text} for ts, w, text in m.errors]})

    async def events(self, request: Request) -> Response:
        session = self._session(request)
        token = request.cookies.get(COOKIE)
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.clients.add(queue)

        async def stream() -> Any:
            try:
                yield "retry: 2000\n\n"
                while True:
                    try:
                        batch = await asyncio.wait_for(queue.get(), 15)
                    except TimeoutError:
                        if self.sessions.get(token) is None:
                            return
                        yield ": keep-alive\n\n"
                        continue
                    if batch is None:
                        return
                    yield batch
            finally:
                self.clients.discard(queue)

        log.debug("live updates for %s", session.user)
        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"X-Accel-Buffering": "no"})

    async def action(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ACTIONS:
            return JSONResponse({"message": f"no action {name!r}"}, 404)
        session = self._session(request, ACTIONS[name])
        fields, photo = await self._form(request, files=1 if name == "photo" else 0)
        self._check_post(request, session, request.headers.get("x-csrf-token") or fields.get("csrf"),
                         session.csrf)
        client = _client(request)
        try:
            message, reload = (self._photo(fields.get("device", ""), photo) if name == "photo"
                               else await self._do(name, fields, session))
            ok = True
        except (CommandError, ValueError) as exc:
            message, reload, ok = str(exc), False, False
        except TimeoutError:
            message, reload, ok = "the installation did not answer within 5 s", False, False
        detail = " ".join(f"{k}={v}" for k, v in fields.items() if k != "csrf")
        self.audit.record(session.user, session.role, client, name, f"{detail}: {message}", ok=ok)
        if request.headers.get("content-type", "").startswith("application/json"):
            return JSONResponse({"message": message, "reload": reload}, 200 if ok else 400)
        return RedirectResponse("/", 303)

    def _photo(self, device: str, content: bytes | None) -> tuple[str, bool]:
        """A staff photo of a device, beside its note: JPEG or PNG, 3 MB at most."""
        if not NAME_RE.match(device) or not self._known(device):
            raise ValueError(f"no device {device!r}")
        if not content:
            raise ValueError("choose a photo to send")
        kind = next((ext for magic, ext in PHOTO_TYPES.items() if content.startswith(magic)), None)
        if kind is None:
            raise ValueError("a photo must be a JPEG or PNG image")
        folder = self.state_dir / "photos"
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{device}.*"):
            old.unlink()
        (folder / f"{device}.{kind}").write_bytes(content)
        return f"photo saved for {device}", True

    def _known(self, device: str) -> bool:
        return any(device in n.devices for s in self.model.sites.values() for n in s.nodes.values())

    def photo_of(self, device: str) -> Path | None:
        if not NAME_RE.match(device):
            return None
        return next((p for p in (self.state_dir / "photos").glob(f"{device}.*")
                     if p.suffix[1:] in PHOTO_TYPES.values()), None)

    async def photo(self, request: Request) -> Response:
        self._session(request)
        path = self.photo_of(request.path_params["device"])
        if path is None:
            return PlainTextResponse("no photo", 404)
        return FileResponse(path, media_type=f"image/{'jpeg' if path.suffix == '.jpg' else 'png'}")

    async def _do(self, name: str, fields: dict[str, str], session: Session) -> tuple[str, bool]:
        from museokit.ops import staff

        if name == "note":
            device = fields.get("device", "")
            if not self._known(device):
                raise ValueError(f"no device {device!r}")
            self.notes.set(device, fields.get("text", ""), fields.get("working", "0") == "1",
                           fields.get("on_floor", "0") == "1", session.user)
            return f"note saved for {device}", True
        runtime = self.runtime
        if runtime is None:
            raise ValueError("this dashboard watches a broker: act on the installation's own "
                             "dashboard")
        if name == "test":
            device = fields.get("device", "")
            media = fields.get("media") or None
            if media is not None and media not in self._media_files():
                raise ValueError(f"{media!r} is not one of the installation's media files")
            done = await self.on_loop(staff.test_output, runtime, device, media)
            return f"{device}: {done}", False
        if name == "out-of-order":
            on = fields.get("on", "1") == "1"
            await self.on_loop(staff.set_out_of_order, runtime, on)
            self.handoff.put(("mode", {"out_of_order": on}))
            return ("out of order: visitor rules paused" if on else "back in order"), True
        if name == "restart":
            runtime.loop.call_soon_threadsafe(runtime.stop)
            return "restarting: the service starts it again", False
        command = self.power[name]
        import subprocess

        result = await asyncio.get_running_loop().run_in_executor(
            None, lambda: subprocess.run(command, capture_output=True, text=True, timeout=20))
        if result.returncode != 0:
            raise ValueError(f"{' '.join(command)} failed: {(result.stderr or '').strip()[:200]}")
        return f"{name}: {' '.join(command)}", False

    async def download(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in DOWNLOADS:
            self._session(request)
            return PlainTextResponse("no such download", 404)
        session = self._session(request, DOWNLOADS[name])
        self.audit.record(session.user, session.role, _client(request), "download", name)
        make = {"audit.csv": self.audit.csv, "interactions.csv": self.interactions_csv,
                "report.html": self.report}[name]
        try:
            text = await asyncio.get_running_loop().run_in_executor(None, make) if make else None
        except ValueError as exc:
            return PlainTextResponse(str(exc), 500)
        if text is None:
            return PlainTextResponse("no interaction log on this node", 404)
        kind = "text/html" if name.endswith(".html") else "text/csv"
        return Response(text, media_type=kind,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def _media_files(self) -> list[str]:
        folder = self.media_folder
        if folder is None or not folder.is_dir():
            return []
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                      if p.suffix.lower() in MEDIA_SUFFIXES and p.is_file()
                      and not any(part.startswith(".") for part in p.relative_to(folder).parts))[:200]

    async def media(self, request: Request) -> Response:
        self._session(request)
        folder = self.media_folder
        rel = request.path_params["path"]
        if folder is None or rel not in self._media_files():
            return PlainTextResponse("no such media file", 404)
        path = (folder / rel).resolve()
        if not path.is_relative_to(folder):
            return PlainTextResponse("no such media file", 404)
        return FileResponse(path)

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            return PlainTextResponse("not found", 404)
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name])


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"

