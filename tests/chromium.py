"""Headless Chromium driven through the Chrome DevTools Protocol over a pipe, with the standard
library only: `--remote-debugging-pipe` makes Chromium read commands from its fd 3 and write
answers and events to its fd 4, NUL-separated JSON (no port, no websocket).

`Chromium.load(url)` opens the page in a fresh tab and records, until the page has loaded and
gone quiet, every request the page made (`Network.requestWillBeSent`) and every error it logged:
console errors and assertions (`Runtime.consoleAPICalled`), uncaught exceptions
(`Runtime.exceptionThrown`) and the browser's own error entries (`Log.entryAdded`: blocked or
failed loads, Content-Security-Policy violations). The browser runs with every host name
resolving to nothing, so a page can never reach the network from a test, only try (and be seen
trying). Also: the page's DOM as HTML, and a PNG screenshot of the whole page; `png_pixels`
decodes one (zlib and the PNG filters, no imaging library).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import struct
import subprocess
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(Exception):
    pass


@dataclass
class PageLoad:
    url: str
    requests: list[str] = field(default_factory=list)  # URLs other than the page itself
    errors: list[str] = field(default_factory=list)  # console errors, exceptions, log errors
    loaded: bool = False


class Chromium:
    def __init__(self, binary: str, timeout: float = 60):
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="povexit-chromium-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        command = [
            binary,
            "--headless=new",
            "--remote-debugging-pipe",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-sync",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--hide-scrollbars",
            "--mute-audio",
            # whatever a page asks for, no name resolves: nothing leaves the machine
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={self._profile}",
            "about:blank",
        ]

        def pipes_on_3_and_4():
            # moved out of the way first: either pipe may already sit on fd 3 or 4
            read_end = fcntl.fcntl(to_browser_read, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_browser_write, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=pipes_on_3_and_4,
            pass_fds=(3, 4),
            close_fds=True,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []

    # --- the protocol ---------------------------------------------------------------------

    def _read_message(self, deadline: float) -> dict | None:
        """The next message, or None once `deadline` (time.monotonic) has passed."""
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise BrowserError("chromium closed the pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read_message(deadline)
            if answer is None:
                raise BrowserError(f"no answer to {method} in {self.timeout}s")
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            if "method" in answer:
                self._events.append(answer)

    def _events_until(self, done, quiet: float, deadline: float) -> list[dict]:
        """Events until `done(event)` has been seen and then none came for `quiet` seconds."""
        seen, finished = [], False
        pending, self._events = self._events, []
        while True:
            if pending:
                event = pending.pop(0)
            else:
                wait_until = min(deadline, time.monotonic() + quiet) if finished else deadline
                event = self._read_message(wait_until)
                if event is None:
                    if finished or time.monotonic() >= deadline:
                        return seen
                    continue
            if "method" not in event:
                continue
            seen.append(event)
            finished = finished or done(event)

    # --- pages ----------------------------------------------------------------------------

    def load(self, url: str, width: int = 1280, height: int = 900) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self._events = []
        self.send("Page.navigate", {"url": url}, session=session)
        events = self._events_until(
            lambda e: e.get("sessionId") == session and e["method"] == "Page.loadEventFired",
            quiet=1.0,
            deadline=time.monotonic() + self.timeout,
        )
        load = PageLoad(url)
        for event in events:
            if event.get("sessionId") != session:
                continue
            method, params = event["method"], event["params"]
            if method == "Page.loadEventFired":
                load.loaded = True
            elif method == "Network.requestWillBeSent":
                requested = params["request"]["url"]
                if requested != url and not requested.startswith("data:"):
                    load.requests.append(requested)
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                texts = [
                    str(arg.get("value", arg.get("description", ""))) for arg in params["args"]
                ]
                load.errors.append("console: " + " ".join(texts))
            elif method == "Runtime.exceptionThrown":
                load.errors.append("exception: " + params["exceptionDetails"].get("text", ""))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                load.errors.append(f"{entry['source']}: {entry['text']} {entry.get('url', '')}")
        return Page(self, session, load, target)

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close")
        try:
            self._process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Page:
    browser: Chromium
    session: str
    load: PageLoad
    target: str

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})

    def html(self) -> str:
        """The DOM as the browser built it (no script runs: the DOM domain serialises it)."""
        root = self.browser.send("DOM.getDocument", {"depth": 0}, session=self.session)
        return self.browser.send(
            "DOM.getOuterHTML", {"nodeId": root["root"]["nodeId"]}, session=self.session
        )["outerHTML"]

    def screenshot(self, scale: float = 1.0, top: int = 0, max_height: int | None = None) -> bytes:
        """A PNG of the whole page, or of `max_height` CSS pixels from `top`, scaled by `scale`."""
        # a tab in the background is not painted: a capture of it would wait for ever
        self.browser.send("Page.bringToFront", session=self.session)
        metrics = self.browser.send("Page.getLayoutMetrics", session=self.session)
        size = metrics["cssContentSize"]
        width, height = size["width"], size["height"] - top
        if max_height:
            height = min(height, max_height)
        shot = self.browser.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": top, "width": width, "height": height, "scale": scale},
            },
            session=self.session,
        )
        return base64.b64decode(shot["data"])


def png_pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of raw pixel bytes) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    position, idat = 8, []
    width = height = channels = 0
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    data = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = data[start], bytearray(data[start + 1 : start + 1 + stride])
        if kind == 1:  # sub
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:  # up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:  # average
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # paeth
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + predictor) & 0xFF
        elif kind != 0:
            raise ValueError(f"bad PNG filter {kind}")
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def distinct_colours(png: bytes) -> int:
    width, _, rows = png_pixels(png)
    channels = len(rows[0]) // width if rows else 0
    return len({row[i : i + channels] for row in rows for i in range(0, len(row), channels)})


def file_url(path: Path) -> str:
    return Path(path).resolve().as_uri()
