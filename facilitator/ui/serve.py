"""``facilitator serve``: the assistant's view in a web browser, on a second device.

textual-serve runs one ``facilitator assist`` process per browser tab and streams it over a
websocket. Around it:

- It listens on 127.0.0.1 unless told otherwise. Bound beyond loopback, it requires a
  random access token on every request (the page, its files and the websocket). The token
  is printed at start inside the URL, compared in constant time, and then kept in an
  HttpOnly cookie so that the page's own requests carry it. Requests without it get 403.
- Every app process is started in its own process group and is ended when its tab closes
  or the browser dies: asked to quit first, then SIGTERM, then SIGKILL, so no served
  process is left running (abrupt browser exits have left them spinning at full CPU).
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

log = logging.getLogger("facilitator.ui.serve")
TOKEN_COOKIE = "facilitator_token"
ERRORS_NAME = "serve-errors.log"  # in the session folder: the served apps' error output
QUIT_GRACE_S = 3.0  # time an app gets to quit on its own before it is terminated


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


class GuardedAppService(AppService):
    """An app process in its own process group, which is always ended with its tab."""

    running: set[GuardedAppService] = set()

    async def _open_app_process(self, width: int = 80, height: int = 24):  # type: ignore[override]
        environment = self._build_environment(width=width, height=height)
        self._process = process = await asyncio.create_subprocess_shell(
            self.command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
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


class SessionServer(Server):
    def __init__(
        self, command: str, host: str, port: int, token: str | None, errors: Path | None = None
    ) -> None:
        super().__init__(command, host=host, port=port, title="facilitator")
        self.token = token
        self.errors = errors  # where the served apps' error output goes (see assist_command)

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.insert(0, self._require_token)
        app.on_shutdown.append(self._end_apps)
        return app

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
        # The page tells the browser where the websocket is: the address the browser used,
        # not the address the server is bound to (0.0.0.0 is nowhere).
        self.public_url = str(request.url.origin())
        return await super().handle_index(request)  # type: ignore[misc, return-value]

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        from textual_serve.server import to_int

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
    token = None if is_loopback(host) else secrets.token_urlsafe(24)
    errors = session_path.resolve() / ERRORS_NAME
    _private_file(errors)
    server = SessionServer(assist_command(session_path), host, port, token, errors)
    if token is None:
        urls = [f"http://{host}:{port}/"]
        print(_("Serving the assistant's view of session {id}", id=session_id))
        print(_("on this computer only: {url}", url=urls[0]))
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
