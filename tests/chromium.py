"""Headless Chromium driven over its DevTools protocol on a pipe (``--remote-debugging-pipe``): no extra package.

Chromium reads commands from file descriptor 3 and writes replies and events to
file descriptor 4, each a JSON message ending in a NUL byte. The browser runs with
networking off: every request goes to a proxy that does not exist, the page's network
is emulated offline, and ``requests`` lists every URL the page asked for.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from typing import Any

FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
         "--window-size=1280,900", "--remote-debugging-pipe"]


def find_chromium() -> str | None:
    """The Chromium program: ``$CHROMIUM``, else ``/usr/bin/chromium``, ``chromium`` or ``google-chrome`` on PATH."""
    for name in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _as_fds_3_and_4(read_end: int, write_end: int) -> None:
    """In the child: the pipe ends as descriptors 3 and 4 (copied high first, so neither overwrites the other).

    ``close_fds=False``: Popen closes descriptors after this runs, and would close 3 and 4.
    """
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (read_end, write_end)]
    os.dup2(high[0], 3)
    os.dup2(high[1], 4)


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, program: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        self.proc = subprocess.Popen([program, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     close_fds=False, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     preexec_fn=lambda: _as_fds_3_and_4(to_browser_r, from_browser_w))
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self.requests: list[str] = []
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page["targetId"], flatten=True)["sessionId"]
        for method in ("Page.enable", "Runtime.enable", "Network.enable"):
            self.call(method, session=True)
        self.call("Network.emulateNetworkConditions", session=True, offline=True, latency=0,
                  downloadThroughput=-1, uploadThroughput=-1)
        # iframes run in processes of their own: attach to each, so frames() can reach into them
        self.call("Target.setAutoAttach", session=True, autoAttach=True, waitForDebuggerOnStart=False, flatten=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except Exception:
            self.proc.kill()
        self.proc.wait(timeout=30)
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, session: bool | str = False, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its reply (events that arrive meanwhile are kept).

        ``session``: False for the browser, True for the page, or the session id of a frame (:meth:`frames`).
        """
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session if session is True else session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._event(reply)

    def _event(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        if event.get("method") == "Network.requestWillBeSent":
            self.requests.append(event["params"]["request"]["url"])

    def goto(self, url: str) -> None:
        """Open ``url`` and wait for its load event (``events`` and ``requests`` start afresh)."""
        self.events.clear()
        self.requests.clear()
        self.call("Page.navigate", session=True, url=url)
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self._event(self._read())

    def frames(self) -> list[str]:
        """The session ids of the iframes of the page loaded last (pass one as ``session``)."""
        return [e["params"]["sessionId"] for e in self.events if e.get("method") == "Target.attachedToTarget"
                and e["params"]["targetInfo"]["type"] == "iframe"]

    def evaluate(self, expression: str, session: bool | str = True) -> Any:
        """The value of a JavaScript expression in the page or a frame (promises awaited)."""
        result = self.call("Runtime.evaluate", session=session, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, session: bool | str = True) -> Any:
        """Poll ``expression`` until it is truthy (a page event, not a timing assumption); its value."""
        deadline = time.monotonic() + self.timeout
        while True:
            value = self.evaluate(expression, session)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{expression} stayed false for {self.timeout} s")
            time.sleep(0.05)

    def press(self, key: str) -> None:
        """Press and release a key such as ``ArrowRight``."""
        codes = {"ArrowRight": 39, "ArrowLeft": 37, "Home": 36, "End": 35}
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", session=True, type=kind, key=key, code=key,
                      windowsVirtualKeyCode=codes[key])

    def screenshot(self, path: str, clip: dict[str, float] | None = None) -> str:
        """Save the page (or the ``clip`` rectangle of it) as a PNG file; returns ``path``."""
        options = {"clip": clip} if clip else {}
        data = self.call("Page.captureScreenshot", session=True, format="png", **options)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path
