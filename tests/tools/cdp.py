#!/usr/bin/python3
"""A small Chrome DevTools Protocol driver for the browser tests (Python 3 standard library only).

Chromium runs headless with --remote-debugging-pipe: it reads commands on its fd 3 and writes
replies and events on its fd 4, each message one JSON document ended by a NUL byte. This
module opens one page (Target.createTarget, then attachToTarget with flatten, so that page
commands carry a sessionId), and records what a test must check besides its own figures:
console errors, uncaught exceptions, error log entries, and every request the page makes.

Every wait has a deadline: a browser that hangs ends in CdpTimeout, never in a hung test.

As a command:
    cdp.py [--timeout S] [--size WxH] SCRIPT
SCRIPT ("-": stdin) holds one JSON object a line (blank lines and lines starting "#" are
skipped), run in order:
    {"open": "file:///x.html"}            navigate, wait for the load event (with "as": "NAME",
                                          print "NAME<TAB>MS" from navigation to load event)
    {"preload": "JS"}                     run JS in every page loaded after this step, before
                                          the page's own scripts
    {"wait": "JS", "timeout": S}          evaluate JS (promises awaited) until it is truthy
    {"wait": "JS", "as": "NAME"}          the same, but print "NAME<TAB>true" or "NAME<TAB>false"
                                          (still false at the timeout) instead of failing
    {"eval": "JS", "as": "NAME"}          print "NAME<TAB>JSON of the value"
    {"inject": "PATH"}                    evaluate the JS file PATH (helpers for later steps)
    {"click": "JS"}                       JS gives {x, y} (page CSS pixels): move there, click
    {"hover": "JS"}                       the same, without the click
    {"type": "TEXT", "into": "#search"}   focus the element, insert TEXT as typed input
    {"screenshot": "PATH"}                save a PNG of the viewport; print "screenshot<TAB>BYTES"
    {"sleep": MS}
    {"report": "NAME"}                    print "NAME.errors<TAB>[...]" (console errors,
                                          exceptions, error log entries) and
                                          "NAME.requests<TAB>[...]" (every URL the page
                                          requested) since the last report, then forget them
At the end it prints those of the last page as "errors<TAB>[...]" and "requests<TAB>[...]". Exit status: 0 when the script ran,
2 for a bad script or usage, 3 when Chromium is missing or does not start (a test SKIPs),
4 when a step failed or timed out (the reason on stderr, a test FAILs).
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


class CdpError(Exception):
    """A command the browser answered with an error, or a step that cannot run."""


class CdpTimeout(CdpError):
    """The browser did not answer in time."""


class NoBrowser(CdpError):
    """Chromium is not installed or did not start: the caller SKIPs."""


def find_chromium():
    """The Chromium executable: $CHROMIUM, else the first of CHROMIUM_NAMES on PATH."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium over a pipe, and one page in it."""

    def __init__(self, timeout=30.0, width=1280, height=800):
        self.timeout = timeout
        self.errors = []        # "kind: text" of every console error or exception
        self.requests = []      # every URL the page asked for
        self._next_id = 0
        self._replies = {}
        self._events = []
        self._cond = threading.Condition()
        self._closed = False
        self._buf = b""
        self.session = None
        self.proc = None
        self._profile = tempfile.mkdtemp(prefix="cprof-chromium.")
        self._start(width, height)

    # ---- process and pipe --------------------------------------------------------------

    def _start(self, width, height):
        exe = find_chromium()
        if not exe:
            raise NoBrowser("chromium is not installed (apt-get install chromium)")
        cmd_r, cmd_w = os.pipe()
        rep_r, rep_w = os.pipe()
        # The child's fds 3 and 4 must be the pipe ends; raise ours above them first so that
        # the dup2 onto 3 cannot close the end that still has to go onto 4.
        hi_cmd = fcntl_dupfd(cmd_r, 10)
        hi_rep = fcntl_dupfd(rep_w, 10)
        os.close(cmd_r)
        os.close(rep_w)

        def child_fds():
            os.dup2(hi_cmd, 3)
            os.dup2(hi_rep, 4)

        args = [exe, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--remote-debugging-pipe", "--user-data-dir=" + self._profile,
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage", "--mute-audio",
                "--hide-scrollbars", "--window-size=%d,%d" % (width, height),
                # Nothing may leave the machine, whatever the page asks for.
                "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
                "about:blank"]
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, pass_fds=(3, 4),
                                         preexec_fn=child_fds, start_new_session=True)
        except OSError as e:
            os.close(hi_cmd)
            os.close(hi_rep)
            os.close(cmd_w)
            os.close(rep_r)
            raise NoBrowser("cannot run %s: %s" % (exe, e)) from e
        os.close(hi_cmd)
        os.close(hi_rep)
        self._wfd = cmd_w
        self._rfd = rep_r
        self._stderr = []
        threading.Thread(target=self._read_loop, daemon=True).start()
        threading.Thread(target=self._stderr_loop, daemon=True).start()
        try:
            self.call("Browser.getVersion", timeout=min(self.timeout, 20))
        except CdpError as e:
            tail = " | ".join(self._stderr[-3:])
            self.close()
            raise NoBrowser("chromium did not start: %s%s" % (e, tail and " (" + tail + ")"))

    def _stderr_loop(self):
        for line in self.proc.stderr:
            self._stderr.append(line.decode(errors="replace").strip())
            del self._stderr[:-20]

    def _read_loop(self):
        while True:
            try:
                chunk = os.read(self._rfd, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._closed = True
                    self._cond.notify_all()
                return
            self._buf += chunk
            while b"\0" in self._buf:
                raw, self._buf = self._buf.split(b"\0", 1)
                self._dispatch(json.loads(raw))

    def _dispatch(self, msg):
        with self._cond:
            if "id" in msg:
                self._replies[msg["id"]] = msg
            else:
                self._note_event(msg)
                self._events.append(msg)
            self._cond.notify_all()

    def _note_event(self, msg):
        method, p = msg.get("method"), msg.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", "")))
                            for a in p.get("args", []))
            self.errors.append("console.%s: %s" % (p["type"], text))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            exc = d.get("exception", {}).get("description") or d.get("text", "")
            self.errors.append("exception: %s (line %s)" % (exc, d.get("lineNumber")))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            self.errors.append("log %s: %s %s" % (e.get("source"), e.get("text"),
                                                  e.get("url", "")))
        elif method == "Network.requestWillBeSent":
            self.requests.append(p.get("request", {}).get("url", ""))

    def call(self, method, params=None, timeout=None, session=True):
        """Sends one command (to the page's session unless session=False) and returns its
        result; raises CdpError for an error reply, CdpTimeout when none came in time."""
        with self._cond:
            self._next_id += 1
            mid = self._next_id
        msg = {"id": mid, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._wfd, data):]
        except OSError as e:
            raise CdpError("%s: the browser's pipe is closed (%s)" % (method, e)) from e
        reply = self._wait(lambda: self._replies.pop(mid, None), method + ": no reply", timeout)
        if "error" in reply:
            raise CdpError("%s: %s" % (method, reply["error"].get("message")))
        return reply.get("result", {})

    def wait_event(self, method, timeout=None, since=0):
        """Waits for an event METHOD of the page's session, among those from index since on.
        Returns the index past it."""
        def found():
            for i in range(since, len(self._events)):
                ev = self._events[i]
                if ev.get("method") == method and ev.get("sessionId") == self.session:
                    return i + 1
            return None
        return self._wait(found, "no " + method, timeout)

    def _wait(self, check, what, timeout):
        """check()'s first value other than None, called under the lock at each message;
        CdpError if the browser exits first, CdpTimeout after timeout seconds."""
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = check()
                if value is not None:
                    return value
                left = deadline - time.monotonic()
                if self._closed:
                    raise CdpError("%s: the browser exited" % what)
                if left <= 0:
                    raise CdpTimeout("%s in %.0f s" % (what, timeout))
                self._cond.wait(left)

    def close(self):
        """Ends the browser and everything it started (its own session), removes its profile."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except OSError:
                    pass
                self.proc.wait()
        for fd in (getattr(self, "_wfd", None), getattr(self, "_rfd", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._wfd = self._rfd = None
        shutil.rmtree(self._profile, ignore_errors=True)

    # ---- the page ----------------------------------------------------------------------

    def new_page(self):
        """Opens a blank page and attaches to it; enables the domains the checks read."""
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        att = self.call("Target.attachToTarget", {"targetId": target["targetId"],
                                                  "flatten": True}, session=False)
        self.session = att["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(domain + ".enable")

    def open(self, url, timeout=None):
        """Navigates and waits for the page's load event."""
        with self._cond:
            since = len(self._events)
        res = self.call("Page.navigate", {"url": url}, timeout=timeout)
        if res.get("errorText"):
            raise CdpError("cannot open %s: %s" % (url, res["errorText"]))
        self.wait_event("Page.loadEventFired", timeout=timeout, since=since)

    def evaluate(self, expr, timeout=None):
        """The value of the JS expression expr (a promise is awaited); raises CdpError with
        the exception's text when it throws."""
        res = self.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True,
                                             "returnByValue": True}, timeout=timeout)
        if "exceptionDetails" in res:
            d = res["exceptionDetails"]
            raise CdpError("%s: %s" % (expr[:60], d.get("exception", {}).get("description")
                                       or d.get("text")))
        return res.get("result", {}).get("value")

    def wait_for(self, expr, timeout=None):
        """Evaluates expr every 50 ms until it is truthy; returns its value."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            value = self.evaluate(expr, timeout=max(1, deadline - time.monotonic()))
            if value:
                return value
            if time.monotonic() > deadline:
                raise CdpTimeout("%s: still false after %.0f s" % (expr[:60],
                                                                    timeout or self.timeout))
            time.sleep(0.05)

    def mouse(self, x, y, click=True):
        """Moves the mouse to (x, y) in page CSS pixels and, if click, clicks the left button."""
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        if click:
            for kind in ("mousePressed", "mouseReleased"):
                self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                       "button": "left", "clickCount": 1})

    def type_text(self, selector, text):
        """Focuses the element and inserts text as the keyboard would (input events fire)."""
        if not self.evaluate("(e => e ? (e.focus(), true) : false)(document.querySelector(%s))"
                             % json.dumps(selector)):
            raise CdpError("no element %s to type into" % selector)
        self.call("Input.insertText", {"text": text})

    def screenshot(self, path):
        """Saves a PNG of the viewport; returns its size in bytes."""
        data = base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])
        with open(path, "wb") as f:
            f.write(data)
        return len(data)


def fcntl_dupfd(fd, lowest):
    """A duplicate of fd numbered lowest or above (not inheritable until dup2'ed)."""
    import fcntl
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, lowest)


def point(value, what):
    """The {x, y} a click or hover step's JS gave, as two numbers."""
    if not isinstance(value, dict) or not all(isinstance(value.get(k), (int, float))
                                              for k in ("x", "y")):
        raise CdpError("%s: the expression gave %r, not {x, y}" % (what, value))
    return value["x"], value["y"]


def run_step(b, step, out):
    """Runs one script step on browser b, printing its result lines to out."""
    t = step.get("timeout")
    if "open" in step:
        t0 = time.monotonic()
        b.open(step["open"], timeout=t)
        if "as" in step:
            print("%s\t%.1f" % (step["as"], 1000 * (time.monotonic() - t0)), file=out)
    elif "preload" in step:
        b.call("Page.addScriptToEvaluateOnNewDocument", {"source": step["preload"]}, timeout=t)
    elif "wait" in step and "as" in step:
        try:
            b.wait_for(step["wait"], timeout=t)
            ok = True
        except CdpTimeout:
            ok = False
        print("%s\t%s" % (step["as"], json.dumps(ok)), file=out)
    elif "wait" in step:
        b.wait_for(step["wait"], timeout=t)
    elif "eval" in step:
        value = b.evaluate(step["eval"], timeout=t)
        print("%s\t%s" % (step.get("as", "eval"), json.dumps(value)), file=out)
    elif "inject" in step:
        with open(step["inject"]) as f:
            b.evaluate(f.read(), timeout=t)
    elif "click" in step or "hover" in step:
        key = "click" if "click" in step else "hover"
        x, y = point(b.evaluate(step[key], timeout=t), key)
        b.mouse(x, y, click=key == "click")
    elif "type" in step:
        b.type_text(step.get("into", "body"), step["type"])
    elif "screenshot" in step:
        print("screenshot\t%d" % b.screenshot(step["screenshot"]), file=out)
    elif "sleep" in step:
        time.sleep(step["sleep"] / 1000)
    elif "report" in step:
        report(b, step["report"] + ".", out)
    else:
        raise CdpError("unknown step %s" % json.dumps(step))
    out.flush()


def report(b, prefix, out):
    """Prints the errors and requests seen since the last report, and forgets them. Late
    console errors of the last step are given a moment to arrive."""
    time.sleep(0.1)
    with b._cond:
        errors, b.errors = b.errors, []
        requests, b.requests = b.requests, []
    print("%serrors\t%s" % (prefix, json.dumps(errors)), file=out)
    print("%srequests\t%s" % (prefix, json.dumps(requests)), file=out)


def read_script(path):
    """The steps of a script file (a list of dicts); raises ValueError on a bad line."""
    f = sys.stdin if path == "-" else open(path)
    steps = []
    with f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                step = json.loads(line)
            except ValueError as e:
                raise ValueError("line %d: %s" % (n, e)) from e
            if not isinstance(step, dict):
                raise ValueError("line %d: a step is a JSON object" % n)
            steps.append(step)
    return steps


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description="Run a script of steps in headless Chromium.")
    ap.add_argument("--timeout", type=float, default=30, help="seconds for each step")
    ap.add_argument("--size", default="1280x800", help="window size WxH")
    ap.add_argument("script")
    a = ap.parse_args(argv)
    try:
        w, h = (int(v) for v in a.size.split("x"))
        steps = read_script(a.script)
    except (ValueError, OSError) as e:
        print("cdp: %s" % e, file=sys.stderr)
        return 2
    try:
        b = Browser(timeout=a.timeout, width=w, height=h)
    except NoBrowser as e:
        print("cdp: %s" % e, file=sys.stderr)
        return 3
    rc = 0
    try:
        b.new_page()
        for step in steps:
            run_step(b, step, sys.stdout)
    except (CdpError, OSError) as e:
        print("cdp: %s" % e, file=sys.stderr)
        rc = 4
    finally:
        report(b, "", sys.stdout)
        b.close()
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
