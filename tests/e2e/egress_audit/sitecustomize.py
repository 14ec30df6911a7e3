"""Installed in every Python process of the egress test (this folder leads PYTHONPATH, so each
child: `kb` commands, parser children, OCR, the Streamlit server, imports it at start-up).

An audit hook (PEP 578) writes one JSON line to $EGRESS_AUDIT_LOG for every connect() or
sendto() to an address that is not loopback and for every name lookup (getaddrinfo of anything
but a numeric loopback address or None, gethostbyname, gethostbyaddr); $EGRESS_SEEN_LOG gets one
line per process, so the test can tell that the hook ran where it should."""

import ipaddress
import json
import os
import sys

_LOG = os.environ.get("EGRESS_AUDIT_LOG")
_SEEN = os.environ.get("EGRESS_SEEN_LOG")


def _cmdline():
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return f.read().decode("utf-8", "replace").split("\0")[:-1]
    except OSError:
        return sys.argv


def _write(path, record):
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, default=repr) + "\n")


def _loopback(host):
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a name: looking it up is what must not happen


def _address_ok(address):
    if isinstance(address, (str, bytes)):
        return True  # AF_UNIX: a path, never the network
    if isinstance(address, tuple) and address:
        return _loopback(address[0])
    return False


def _hook(event, args):
    if not event.startswith("socket."):
        return
    bad = None
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg") and len(args) >= 2:
        if args[1] is not None and not _address_ok(args[1]):
            bad = args[1]
    elif event == "socket.getaddrinfo":
        if not _loopback(args[0]):
            bad = args[0]
    elif event in ("socket.gethostbyname", "socket.gethostbyaddr", "socket.gethostbyname_ex"):
        bad = args[0] if args else None
    if bad is not None:
        _write(_LOG, {"pid": os.getpid(), "event": event, "target": bad, "argv": _cmdline()})


if _LOG:
    sys.addaudithook(_hook)
    if _SEEN:
        _write(_SEEN, {"pid": os.getpid(), "argv": _cmdline()})
