"""The `kb` command line: thin commands over kb.wiring; `--json` for machines."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Private bilingual knowledge base: ingest folders, search them.")

EXIT_FAILED = 2


def _app(ctx: typer.Context):
    if ctx.obj is None:
        from pydantic import ValidationError

        from kb.config import Settings
        from kb.wiring import build

        try:
            ctx.obj = build(Settings())
        except ValidationError as exc:
            _fail(f"invalid settings: {exc}")
    return ctx.obj


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_FAILED)


def _print_json(obj) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2))


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Folders (or files) to sync.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Sync folders into the indexes: add new files, update changed ones, drop deleted ones."""
    from ingest.acl import AclConfigError
    from ingest.pipeline import IngestLocked

    kb = _app(ctx)
    for p in paths:
        if not p.exists():
            _fail(f"no such file or folder: {p}")
    ingestor = kb.ingestor()
    progress_cb, close = (None, lambda: None) if (as_json or dry_run) else _progress_bar()
    try:
        report = ingestor.run([str(p) for p in paths], dry_run=dry_run, progress=progress_cb)
    except IngestLocked as exc:
        _fail(str(exc))
    except (AclConfigError, FileNotFoundError, ValueError) as exc:
        _fail(str(exc))
    finally:
        close()
    if as_json:
        _print_json(report.to_json())
        return
    verb = "Would ingest" if dry_run else "Ingested"
    typer.echo(
        f"{verb}: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.deleted} deleted, {report.relabeled} relabeled, {len(report.failed)} failed"
        + ("" if dry_run else f"; {report.chunks} chunks written in {report.seconds:.1f}s")
    )
    for f in report.failed:
        typer.echo(f"  FAILED [{f.code}] {f.path}: {f.error}")


def _progress_bar():
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("[bold]ingest"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        TextColumn("{task.description}"), console=Console(stderr=True), transient=True,
    )
    task = None

    def update(phase: str, done: int, total: int, path: str) -> None:
        nonlocal task
        if task is None:
            progress.start()
            task = progress.add_task("", total=total)
        progress.update(task, completed=done, total=total, description=path[-50:])

    return update, progress.stop


@app.command()
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """What is searchable: every file with its status, chunk count and error."""
    kb = _app(ctx)
    docs = kb.manifest.docs()
    files = [
        {"root": d.root, "path": d.path, "status": "searchable" if d.status == "ok" else "failed",
         "chunks": d.chunks, "error_code": d.error_code or None, "error": d.error or None,
         "groups": sorted(d.acl), "ingested_at": d.ingested_at}
        for d in docs
    ]
    ok = [d for d in docs if d.status == "ok"]
    summary = {
        "documents": len(ok), "failed": len(docs) - len(ok), "chunks": sum(d.chunks for d in ok),
        "roots": sorted({d.root for d in docs}), "files": files,
        "last_runs": kb.manifest.last_runs(5),
    }
    if as_json:
        _print_json(summary)
        return
    typer.echo(f"{summary['documents']} searchable documents, {summary['chunks']} chunks, "
               f"{summary['failed']} failed, in {len(summary['roots'])} root(s)")
    for f in files:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(f["ingested_at"]))
        line = f"  {f['status']:<10} {f['chunks']:>5}  {when}  {f['path']}"
        if f["error"]:
            line += f"  [{f['error_code']}] {f['error']}"
        typer.echo(line)


@app.command()
def delete(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A file or folder that was ingested.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Remove a file or folder from every index (the files on disk are not touched)."""
    from ingest.pipeline import IngestLocked

    kb = _app(ctx)
    try:
        n = kb.ingestor().delete_path(str(path))
    except IngestLocked as exc:
        _fail(str(exc))
    if as_json:
        _print_json({"deleted": n})
    else:
        typer.echo(f"Removed {n} document(s) from the indexes.")


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Question or keywords, Chinese or English.")],
    user: Annotated[str, typer.Option("--user", help="Who is searching.")] = "local",
    group: Annotated[Optional[list[str]], typer.Option("--group", "-g", help="A group of the user (repeatable).")] = None,
    k: Annotated[int, typer.Option("-k", help="Number of results.")] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Search the ingested documents the user may read."""
    from kb.types import Principal

    kb = _app(ctx)
    searcher = kb.searcher()
    hits = searcher.search(query, Principal(user, frozenset(group or [])), k=k)
    rows = [
        {"rank": i, "score": round(h.score, 6), "doc_id": h.chunk.doc_id, "path": h.chunk.path,
         "page": h.chunk.page, "section": h.chunk.section, "chunk_id": h.chunk.chunk_id,
         "char_start": h.chunk.char_start, "char_end": h.chunk.char_end, "text": h.chunk.text}
        for i, h in enumerate(hits, start=1)
    ]
    if as_json:
        _print_json({"hits": rows,
                     "timings_ms": {k_: round(v, 2) for k_, v in searcher.last_timings.items()}})
        return
    if not rows:
        typer.echo("No results.")
    for r in rows:
        where = r["path"] + (f", p. {r['page']}" if r["page"] else "")
        where += f" — {r['section']}" if r["section"] else ""
        snippet = " ".join(r["text"].split())[:200]
        typer.echo(f"{r['rank']:>2}. {where}\n    {snippet}")


@app.command()
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port of the page.")] = 8501,
    address: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
) -> None:
    """Serve the Streamlit page."""
    import subprocess

    page = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(page), "--server.port", str(port),
        "--server.address", address, "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
    raise typer.Exit(subprocess.call(cmd))


if __name__ == "__main__":  # pragma: no cover
    app()
