"""A minimal Marionette client (Python 3 standard library only).

Firefox's Marionette server speaks length-prefixed JSON over TCP: every
message is "LEN:JSON".  The server greets with a JSON object; a command is
[0, id, name, params] and its reply [1, id, error, result].  No geckodriver
or selenium is packaged for Debian 12, and this is all a test needs.
"""

import json
import socket
import time


class MarionetteError(Exception):
    """An error reply from Firefox (error is the WebDriver error object)."""

    def __init__(self, command, error):
        self.command = command
        self.error = error
        msg = error.get("message", "") if isinstance(error, dict) else str(error)
        kind = error.get("error", "error") if isinstance(error, dict) else "error"
        super().__init__(f"{command}: {kind}: {msg}")


class Marionette:
    def __init__(self, host="127.0.0.1", port=2828, timeout=30.0):
        self.host = host
        self.port = port
        self.timeout = timeout
        self.sock = None
        self.buf = b""
        self.next_id = 1

    def connect(self, deadline_s=60.0):
        """Connects, retrying until Firefox listens or the deadline passes."""
        end = time.monotonic() + deadline_s
        last = None
        while time.monotonic() < end:
            try:
                s = socket.create_connection((self.host, self.port), timeout=2.0)
                s.settimeout(self.timeout)
                self.sock = s
                self.buf = b""
                hello = self._recv()
                if not isinstance(hello, dict) or hello.get("marionetteProtocol") != 3:
                    raise RuntimeError(f"unexpected greeting {hello!r}")
                return hello
            except (OSError, ValueError) as e:
                last = e
                if self.sock is not None:
                    self.sock.close()
                    self.sock = None
                time.sleep(0.25)
        raise TimeoutError(f"Marionette not reachable on {self.host}:{self.port}: {last}")

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def _recv(self):
        while b":" not in self.buf:
            self._fill()
        head, _, rest = self.buf.partition(b":")
        n = int(head)
        self.buf = rest
        while len(self.buf) < n:
            self._fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return json.loads(body.decode("utf-8"))

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("Marionette connection closed")
        self.buf += chunk

    def send(self, name, params=None, timeout=None):
        """Sends one command and returns its result (raises MarionetteError)."""
        mid = self.next_id
        self.next_id += 1
        data = json.dumps([0, mid, name, params or {}]).encode("utf-8")
        self.sock.sendall(str(len(data)).encode() + b":" + data)
        old = self.sock.gettimeout()
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            while True:
                msg = self._recv()
                if isinstance(msg, list) and len(msg) == 4 and msg[0] == 1 and msg[1] == mid:
                    break
        finally:
            self.sock.settimeout(old)
        if msg[2] is not None:
            raise MarionetteError(name, msg[2])
        return msg[3]

    # ---- the few WebDriver commands the tests use ----
    def new_session(self, capabilities=None):
        return self.send("WebDriver:NewSession", {"capabilities": capabilities or {}})

    def set_context(self, context):
        return self.send("Marionette:SetContext", {"value": context})

    def execute(self, script, args=None, timeout_s=30.0):
        """Runs script, the body of an async function (so it may await), in
        the current context and returns what it returns."""
        script = "return (async () => {\n" + script + "\n})();"
        self.send("WebDriver:SetTimeouts", {"script": int(timeout_s * 1000)})
        r = self.send("WebDriver:ExecuteScript",
                      {"script": script, "args": args or []},
                      timeout=timeout_s + 10)
        return r.get("value") if isinstance(r, dict) else r

    def navigate(self, url, timeout_s=30.0):
        self.send("WebDriver:SetTimeouts", {"pageLoad": int(timeout_s * 1000)})
        return self.send("WebDriver:Navigate", {"url": url}, timeout=timeout_s + 10)

    def quit(self):
        try:
            self.send("Marionette:Quit", {"flags": ["eForceQuit"]}, timeout=15)
        except (OSError, MarionetteError, ConnectionError, ValueError):
            pass
        self.close()
