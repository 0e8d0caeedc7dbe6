"""``facilitator serve``: the assistant's view in a web browser, on a second device.

textual-serve runs one ``facilitator assist`` process per browser tab and streams it over a
websocket. Around it:

- It listens on 127.0.0.1 unless told otherwise, and requires a random access token on
  every request (the page, its files and the websocket), on loopback too: any web page the
  user visits can reach 127.0.0.1, and a websocket is not bound by the same-origin rule.
  The token is printed at start inside the URL, compared in constant time, and then kept
  in an HttpOnly, SameSite=Strict cookie so that the page's own requests carry it.
- Every request's ``Host`` must name an address the server listens on (with its port), so
  a page on another name that resolves to this machine (DNS rebinding) is refused; a
  request that carries an ``Origin`` (every browser websocket and form does) must come from
  the page's own origin. Refusals get 403 and are logged with the peer's address only.
- At most ``MAX_VIEWS`` browser views at once, one fewer than the session's assistant
  journals, so that the assistant's own terminal (``facilitator assist``) always finds one;
  a tab past the limit is told so on its page. Only a holder of the token opens a view.
- A request must send its headers within ``HEADER_TIMEOUT_S``, and an idle connection is
  closed after as long; an open view's websocket is pinged and closed if its peer is gone.
- Every app process is started in its own process group and is ended when its tab closes
  or the browser dies: asked to quit first, then SIGTERM, then SIGKILL, so no served
  process is left running (abrupt browser exits have left them spinning at full CPU). Each
  is tied to the server with ``PR_SET_PDEATHSIG`` (a ``kill -9`` of the server sends it
  SIGTERM), and a new server ends any left by an older one that is gone.
- Nothing of the session's content is logged: only the command, the address and errors.
  A served app's own error output (a crash report shows the values of local variables, such
  as a note being saved) goes to ``serve-errors.log`` in the session folder, owner only, and
  the server's log says only that a tab's view ended with an error.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
import secrets
import shlex
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from facilitator.i18n import _
from facilitator.services.live import MAX_ASSISTANTS

log = logging.getLogger("facilitator.ui.serve")
TOKEN_COOKIE = "facilitator_token"
ERRORS_NAME = "serve-errors.log"  # in the session folder: the served apps' error output
QUIT_GRACE_S = 3.0  # time an app gets to quit on its own before it is terminated
MAX_VIEWS = MAX_ASSISTANTS - 1  # one assistant journal always left for a terminal's assist
HEADER_TIMEOUT_S = 10.0  # to send a request's headers; also how long an idle connection lives
SERVED_ENV = "FACILITATOR_SERVED"  # in a served app's environment: the session it serves
SERVER_ENV = "FACILITATOR_SERVER_PID"  # ... and the server that started it
PR_SET_PDEATHSIG = 1


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def lan_addresses() -> list[str]:
    """This machine's addresses another device on the network could use (best effort)."""
    found: list[str] = []
    try:
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: it only picks a route
            found.append(probe.getsockname()[0])
        finally:
            probe.close()
    except OSError:
        pass
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            address = str(info[4][0])
            if address not in found and not address.startswith("127."):
                found.append(address)
    except OSError:
        pass
    return found


def _die_with_parent() -> None:
    """In the app's process, before it runs: SIGTERM when the server's thread dies (a
    ``kill -9`` of the server too). Survives the shell's ``exec``."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the tab's close and the server's shutdown still end it
    if os.getppid() == 1:  # the server died before the tie was made
        os._exit(1)


def stale_app_processes(session_path: Path) -> list[int]:
    """Served app processes of ``session_path`` whose server is gone (a ``kill -9`` of an
    older server, before processes were tied to it)."""
    wanted = str(session_path.resolve())
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = dict(
                item.split("=", 1)
                for item in (entry / "environ").read_bytes().decode(errors="replace").split("\0")
                if "=" in item
            )
        except OSError:
            continue
        if environ.get(SERVED_ENV) != wanted:
            continue
        server = environ.get(SERVER_ENV, "")
        if server.isdigit() and _alive(int(server)):
            continue
        found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is gone
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def reap_stale(session_path: Path) -> int:
    """End the stale served apps of ``session_path``; returns how many there were."""
    stale = stale_app_processes(session_path)
    for pid in stale:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return len(stale)


class GuardedAppService(AppService):
    """An app process in its own process group, which is always ended with its tab."""

    running: set[GuardedAppService] = set()
    session_path: Path | None = None  # what the served apps serve (see ``serve``)

    async def _open_app_process(self, width: int = 80, height: int = 24):  # type: ignore[override]
        environment = self._build_environment(width=width, height=height)
        if GuardedAppService.session_path is not None:
            environment[SERVED_ENV] = str(GuardedAppService.session_path.resolve())
        environment[SERVER_ENV] = str(os.getpid())
        self._process = process = await asyncio.create_subprocess_shell(
            self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        GuardedAppService.running.add(self)
        return process

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(super().stop(), QUIT_GRACE_S)
        except (TimeoutError, ConnectionError, OSError):
            pass
        finally:
            await self.reap()

    async def reap(self) -> None:
        """End the process group: SIGTERM, then SIGKILL if it does not go."""
        GuardedAppService.running.discard(self)
        process = self._process
        if process is None or process.returncode is not None:
            return
        for sig, wait in ((signal.SIGTERM, QUIT_GRACE_S), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                await asyncio.wait_for(process.wait(), wait)
                return
            except TimeoutError:
                continue


def allowed_hosts(host: str) -> set[str]:
    """The names a request's ``Host`` may give for a server bound to ``host``: the address
    itself, and for a wildcard every address of this machine and its names."""
    names = {host.lower()}
    if host in ("0.0.0.0", "::", ""):
        names |= {"127.0.0.1", "::1", "localhost", *lan_addresses()}
        hostname = socket.gethostname().lower()
        names |= {hostname, f"{hostname}.local"}
        try:
            for info in socket.getaddrinfo(socket.gethostname(), None):
                names.add(str(info[4][0]).lower())
        except OSError:
            pass
    elif is_loopback(host) or host == "localhost":
        names |= {"localhost", "127.0.0.1", "::1"} if host in ("localhost", "127.0.0.1") else set()
    return names


def host_of(header: str) -> tuple[str, str]:
    """``name:port`` or ``[v6]:port`` as (name, port); the port is "" if none is given."""
    header = header.strip().lower()
    if header.startswith("["):
        name, _sep, rest = header[1:].partition("]")
        return name, rest.removeprefix(":")
    name, _sep, port = header.rpartition(":") if header.count(":") == 1 else (header, "", "")
    return (name, port) if _sep else (header, "")


class SessionServer(Server):
    def __init__(
        self, command: str, host: str, port: int, token: str | None, errors: Path | None = None
    ) -> None:
        super().__init__(command, host=host, port=port, title="facilitator")
        self.token = token
        self.errors = errors  # where the served apps' error output goes (see assist_command)
        self.hosts = allowed_hosts(host)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.insert(0, self._require_token)
        app.middlewares.insert(0, self._require_own_host_and_origin)
        app.on_shutdown.append(self._end_apps)
        return app

    def serve(self, debug: bool = False) -> None:  # type: ignore[override]
        """Serve until SIGINT or SIGTERM, with header and idle timeouts (see the module)."""
        from aiohttp.web_runner import GracefulExit

        def request_exit() -> None:
            raise GracefulExit()

        loop = asyncio.new_event_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, request_exit)
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            print=lambda *args: None,
            keepalive_timeout=HEADER_TIMEOUT_S,  # also the time to send a request's headers
            access_log=None,  # no log of paths: a link holds the token
        )

    @web.middleware
    async def _require_own_host_and_origin(
        self, request: web.Request, handler: Any
    ) -> web.StreamResponse:
        name, port = host_of(request.headers.get("Host", ""))
        origin = request.headers.get("Origin")
        if name not in self.hosts or (port or "80") != str(self.port):
            log.warning("refused a request for another host from %s", request.remote)
            raise web.HTTPForbidden(text=_("This address is not the one facilitator serves."))
        if origin is not None and origin.lower() != f"http://{request.headers['Host'].lower()}":
            log.warning("refused a request from another page's origin from %s", request.remote)
            raise web.HTTPForbidden(text=_("Refused: the request came from another web page."))
        return await handler(request)

    @web.middleware
    async def _require_token(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.token is None:
            return await handler(request)
        given = request.query.get("token") or request.cookies.get(TOKEN_COOKIE) or ""
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            log.warning("refused a request without a valid token from %s", request.remote)
            raise web.HTTPForbidden(
                text=_("An access token is required: use the link printed by facilitator serve.")
            )
        response = await handler(request)
        if request.query.get("token") and isinstance(response, web.Response):
            response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="Strict")
        return response

    async def handle_index(self, request: web.Request) -> dict[str, Any]:  # type: ignore[override]
        if len(GuardedAppService.running) >= MAX_VIEWS:
            raise web.HTTPServiceUnavailable(text=self._full_message())
        # The page tells the browser where the websocket is: the address the browser used,
        # not the address the server is bound to (0.0.0.0 is nowhere).
        self.public_url = str(request.url.origin())
        return await super().handle_index(request)  # type: ignore[misc, return-value]

    @staticmethod
    def _full_message() -> str:
        return _(
            "{count} browser views of this session are open already, the most there may be "
            "(one assistant view is kept for a terminal). Close one of them and reload.",
            count=MAX_VIEWS,
        )

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        from textual_serve.server import to_int

        if len(GuardedAppService.running) >= MAX_VIEWS:
            raise web.HTTPServiceUnavailable(text=self._full_message())

        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: GuardedAppService | None = None
        try:
            await websocket.prepare(request)
            service = GuardedAppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,  # type: ignore[arg-type]
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # a broken tab must not take the server down
            log.error("the assistant's view ended with an error: %s", type(error).__name__)
        finally:
            if service is not None:
                await service.stop()
                process = service._process
                if process is not None and process.returncode and process.returncode > 0:
                    log.error(
                        "the assistant's view of a browser tab ended with an error (exit code "
                        "%s); the details are in %s",
                        process.returncode,
                        self.errors or "its error output",
                    )
        return websocket

    async def _end_apps(self, app: web.Application) -> None:
        await asyncio.gather(*(s.reap() for s in list(GuardedAppService.running)))

    async def on_startup(self, app: web.Application) -> None:
        pass  # facilitator prints its own message (without textual-serve's logo)


def assist_command(session_path: Path) -> str:
    """The command each browser tab runs: this interpreter, so the served app is this one.

    Its error output goes to the session folder, not to the server's: textual-serve copies a
    served app's stderr into its own output, and a crash report holds session content."""
    errors = session_path.resolve() / ERRORS_NAME
    return (
        "exec "
        + shlex.join([sys.executable, "-m", "facilitator", "assist", str(session_path.resolve())])
        + " 2>>"
        + shlex.quote(str(errors))
    )


def _private_file(path: Path) -> None:
    """Create ``path`` owner-only if it is not there (whatever the umask), for appending."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
    except OSError:
        pass  # the shell's own redirection reports it


def serve(session_path: Path, session_id: str, host: str, port: int) -> int:
    token = secrets.token_urlsafe(24)  # on loopback too: any web page can reach 127.0.0.1
    errors = session_path.resolve() / ERRORS_NAME
    _private_file(errors)
    reaped = reap_stale(session_path)
    if reaped:
        print(_("ended {count} browser view(s) left running by an earlier server", count=reaped))
    GuardedAppService.session_path = session_path
    server = SessionServer(assist_command(session_path), host, port, token, errors)
    if is_loopback(host):
        shown = f"[{host}]" if ":" in host else host
        print(_("Serving the assistant's view of session {id}", id=session_id))
        print(_("on this computer only. Open this link in the browser:"))
        print(f"  http://{shown}:{port}/?token={token}")
        print(_("(to reach it from another device, start it with --host 0.0.0.0)"))
    else:
        hosts = lan_addresses() if host in ("0.0.0.0", "::") else [host]
        print(_("Serving the assistant's view of session {id}", id=session_id))
        print(_("to other devices on the network. Open this link on the assistant's device:"))
        for address in hosts or [host]:
            print(f"  http://{address}:{port}/?token={token}")
        print(
            _(
                "Anyone with this link can see the session and write notes in it. Requests "
                "without the token are refused."
            )
        )
    print(_("Press ctrl+c to stop."))
    sys.stdout.flush()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    server.serve()
    return 0
