"""The exercise server's listening socket, bound before anything is printed or written.

A second ``skyweave exercise`` on a port already served must stop at once (exit 2,
naming the process that holds the port when it can be found) instead of printing
join links it will never serve. Binding the socket here, and handing it to uvicorn,
makes that check and the server's own bind one and the same.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
from pathlib import Path

from skyweave.errors import InputError, Problem

#: pending connections the listening socket queues (uvicorn's default)
BACKLOG = 2048


def is_loopback(host: str) -> bool:
    """``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """``host`` listens on every interface."""
    return host in ("", "0.0.0.0", "::", "[::]")


def _listener_inodes(port: int) -> set[str]:
    """Socket inodes listening on ``port`` (Linux ``/proc/net``; empty elsewhere)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    inodes.add(inode)
    return inodes


def holder_of(port: int) -> str | None:
    """``"process PID (command line)"`` listening on ``port``, when it can be known."""
    inodes = {f"socket:[{i}]" for i in _listener_inodes(port)}
    if not inodes:
        return None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            fd_dir = Path("/proc") / pid / "fd"
            if any(os.readlink(fd_dir / fd) in inodes for fd in os.listdir(fd_dir)):
                raw = (Path("/proc") / pid / "cmdline").read_bytes()
                command = raw.replace(b"\0", b" ").decode(errors="replace").strip()
                return f"process {pid} ({command[:120]})"
    return None


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` and listening.

    Raises
    ------
    InputError
        The port is taken (naming the process that holds it, when known) or the
        address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # as uvicorn: a port left in TIME_WAIT by a previous server may be reused, but
        # Linux still refuses a port another socket listens on
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(BACKLOG)  # at once: a second bind now fails, not at its listen
    except OSError as exc:
        sock.close()
        if exc.errno == 98:  # EADDRINUSE
            holder = holder_of(port)
            by = f" by {holder}" if holder else " by another program"
            message = f"port {port} is in use{by}; choose another --port"
        else:
            message = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        raise InputError([Problem("--port" if exc.errno == 98 else "--host", message)]) from None
    sock.set_inheritable(True)
    return sock


def outward_address(host: str) -> str:
    """The address to print in join links: ``host``, or for a wildcard the address
    other machines reach this one at (no packet is sent to find it)."""
    if not is_wildcard(host):
        return host
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = ("2001:db8::1", 9) if family == socket.AF_INET6 else ("192.0.2.1", 9)
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.connect(probe)  # a UDP connect only picks the route; nothing is sent
            address = str(udp.getsockname()[0])
    except OSError:
        address = socket.gethostname()
    return address


def url_host(address: str) -> str:
    """``address`` as the host part of a URL (IPv6 in brackets)."""
    return f"[{address}]" if ":" in address and not address.startswith("[") else address


__all__ = ["bind", "holder_of", "is_loopback", "is_wildcard", "outward_address", "url_host"]
