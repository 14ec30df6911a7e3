"""External converters (pandoc, antiword) run as child processes of the parser process: they
inherit its memory cap (ingest/isolate.py), die with it when it is stopped for a timeout, and are
stopped themselves after CONVERT_TIMEOUT_S when loaders run in-process."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kb.core.errors import IngestError

CONVERT_TIMEOUT_S = 600.0
_PR_SET_PDEATHSIG = 1
_SIGKILL = 9


def _death_signal():
    """A function for the child to run between fork and exec: the kernel kills it when the
    parser process dies. libc is looked up here, in the parent, so the child only calls C."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return lambda: prctl(_PR_SET_PDEATHSIG, _SIGKILL)


def pandoc_path() -> str | None:
    """The pandoc inside the pypandoc-binary wheel (offline), else one on PATH."""
    try:
        import pypandoc

        bundled = Path(pypandoc.__file__).parent / "files" / "pandoc"
        if bundled.is_file():
            return str(bundled)
    except ImportError:
        pass
    return shutil.which("pandoc")


def run_tool(argv: list[str], data: bytes, what: str, *, file_suffix: str = "",
             files: dict[str, str] | None = None) -> str:
    """stdout of `argv` as UTF-8 text. It runs in a fresh temporary folder holding `files`; the
    input goes on stdin or, when `file_suffix` is given, into a file there whose path ends the
    command line (for tools that seek)."""
    with tempfile.TemporaryDirectory(prefix="kb-convert-") as tmp:
        for file_name, text in (files or {}).items():
            Path(tmp, file_name).write_text(text, encoding="utf-8")
        stdin: bytes | None = data
        if file_suffix:
            path = os.path.join(tmp, "input" + file_suffix)
            with open(path, "wb") as fh:
                fh.write(data)
            argv, stdin = [*argv, path], None
        try:
            done = subprocess.run(argv, input=stdin, capture_output=True, cwd=tmp,
                                  timeout=CONVERT_TIMEOUT_S, preexec_fn=_death_signal(),
                                  stdin=subprocess.DEVNULL if stdin is None else None)
        except subprocess.TimeoutExpired as exc:
            raise IngestError("timeout", f"{what} took longer than {CONVERT_TIMEOUT_S:g} s "
                              "and was stopped") from exc
        except OSError as exc:
            raise IngestError("unsupported", f"{what} could not be started: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().replace(tmp, "")
        detail = detail.splitlines()[0][:300] if detail else f"exit code {done.returncode}"
        if done.returncode in (-9, 251) or "out of memory" in detail.lower():
            raise IngestError("too_large", f"{what} ran out of memory on this file")
        raise IngestError("corrupt", f"{what} could not read the file: {detail}")
    return done.stdout.decode("utf-8", "replace")
