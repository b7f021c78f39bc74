"""The daemon's control socket and log for the integration tests: one
request and its records, the tail of a log file, and a mixin for the
tests' Daemon classes (which set self.sock and self.log)."""
import socket


def ctl_request(path, line, timeout=3.0):
    """Send one request line to the control socket @path: (END code, [record lines])."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError("control socket closed before END: %r" % buf[-200:])
            buf += chunk
            lines = buf.decode(errors="replace").split("\n")
            for i, l in enumerate(lines[:-1]):
                if l.startswith("END "):
                    return int(l.split()[1]), lines[:i]
    finally:
        s.close()


def file_tail(path, n=15):
    """The last @n lines of @path ("" when it cannot be read)."""
    try:
        with open(path) as f:
            return "".join(f.readlines()[-n:])
    except (OSError, TypeError):
        return ""


class DaemonIO:
    """tail(), text() and ctl() of a daemon with self.log and self.sock."""

    def tail(self, n=15):
        return file_tail(self.log, n)

    def text(self):
        with open(self.log) as f:
            return f.read()

    def ctl(self, line, timeout=3.0):
        return ctl_request(self.sock, line, timeout)
