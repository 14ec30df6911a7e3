"""The `kb` command line: thin commands over the service layer (kb/app/service.py); `--json` for
machines. Expected failures (kb.core.errors) end with exit code 2 and one sentence on stderr."""

from __future__ import annotations

import json
import os
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

        from kb.app.service import open_knowledge_base
        from kb.core.config import Settings

        try:
            ctx.obj = open_knowledge_base(Settings())
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
    watch: Annotated[bool, typer.Option(
        "--watch", help="Keep running: sync again whenever the folders change (checked every "
        "KB_WATCH_INTERVAL seconds) until stopped (SIGTERM, Ctrl-C).")] = False,
) -> None:
    """Sync folders into the indexes: add new files, update changed ones, drop deleted ones."""
    from kb.core.errors import AclConfigError, IngestLocked

    kb = _app(ctx)
    for p in paths:
        if not p.exists():
            _fail(f"no such file or folder: {p}")
    if watch and dry_run:
        _fail("--watch and --dry-run do not go together")

    def once() -> None:
        progress_cb, close = (None, lambda: None) if (as_json or dry_run or watch) \
            else _progress_bar()
        try:
            report = kb.ingest(paths, dry_run=dry_run, progress=progress_cb)
        finally:
            close()
        _print_report(report, as_json, dry_run, one_line=watch)

    if watch:
        _watch(kb, paths, once, as_json)
        return
    try:
        once()
    except IngestLocked as exc:
        _fail(str(exc))
    except AclConfigError as exc:
        _fail(f"access rules: {exc}")
    except (FileNotFoundError, ValueError) as exc:
        _fail(str(exc))


def _print_report(report, as_json: bool, dry_run: bool, one_line: bool = False) -> None:
    if as_json:
        text = json.dumps(report.to_json(), ensure_ascii=False, indent=None if one_line else 2)
        typer.echo(text)
        return
    verb = "Would ingest" if dry_run else "Ingested"
    stamp = time.strftime("%Y-%m-%d %H:%M:%S ") if one_line else ""
    typer.echo(
        f"{stamp}{verb}: {report.added} added, {report.updated} updated, {report.unchanged} "
        f"unchanged, {report.deleted} deleted, {report.relabeled} relabeled, "
        f"{len(report.failed)} failed"
        + ("" if dry_run else f"; {report.chunks} chunks written in {report.seconds:.1f}s")
    )
    for f in report.failed:
        typer.echo(f"  FAILED [{f.code}] {f.path}: {f.error}")


def _watch(kb, paths: list[Path], once, as_json: bool) -> None:
    """The ingest worker's loop (docker-compose `worker`): one line per sync, errors of a sync
    reported and retried, a clean exit 0 on SIGTERM or Ctrl-C after the running sync ends."""
    import signal
    import threading

    stop = threading.Event()

    def request_stop(signum, frame) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, request_stop)

    def report_error(exc: Exception) -> None:
        if as_json:
            typer.echo(json.dumps({"error": str(exc)}, ensure_ascii=False))
        else:
            typer.echo(f"error: {exc}", err=True)

    interval = kb.settings.watch_interval
    typer.echo(f"watching {', '.join(map(str, paths))} every {interval:g}s", err=True)
    runs = kb.watch([str(p) for p in paths], once, stop, on_error=report_error)
    typer.echo(f"stopped after {runs} sync(s)", err=True)


def _progress_bar(label: str = "ingest"):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
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
    summary = _app(ctx).status()
    files = summary["files"]
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
    from kb.core.errors import IngestLocked

    kb = _app(ctx)
    try:
        removed = kb.delete(path)
    except IngestLocked as exc:
        _fail(str(exc))
    if as_json:
        _print_json(removed.to_json())
    else:
        typer.echo(f"Removed {removed.documents} document(s), {removed.chunks} chunk(s) from the "
                   "indexes and their text from the stores' files.")


Mode = typer.Option("--mode", help="hybrid (both indexes fused), dense or keyword.")
User = Annotated[str, typer.Option("--user", help="Who is searching or asking.")]
Groups = Annotated[Optional[list[str]], typer.Option(
    "--group", "-g", help="A group of the user (repeatable).")]


def _principal(user: str, groups: Optional[list[str]]):
    from kb.core.types import Principal

    return Principal(user, frozenset(groups or []))


def _access_failed(exc: Exception) -> None:
    """The last access check of a search refused its own results: a bug, reported as one."""
    _fail(f"access check failed, nothing was shown: {exc}")


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="Question or keywords, Chinese or English.")],
    user: User = "local",
    group: Groups = None,
    k: Annotated[int, typer.Option("-k", min=1, help="Number of results.")] = 10,
    mode: Annotated[Optional[str], Mode] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Search the ingested documents the user may read."""
    from kb.core.errors import AccessViolation
    from kb.core.highlight import mark, snippet

    kb = _app(ctx)
    try:
        result = kb.search(query, _principal(user, group), k=k, mode=mode)
    except AccessViolation as exc:
        _access_failed(exc)
    except ValueError as exc:
        _fail(str(exc))
    out = result.to_json()
    rows = out["hits"]
    if as_json:
        _print_json(out)
        return

    if not rows:
        typer.echo("No results.")
    for r in rows:
        where = typer.style(r["path"], bold=True) + (f", p. {r['page']}" if r["page"] else "")
        where += f" — {r['section']}" if r["section"] else ""
        text, spans = snippet(r["text"], query)
        on, off = typer.style("\0", fg="yellow", bold=True).split("\0")
        typer.echo(f"{r['rank']:>2}. {where}  [{r['score']:.4f}]\n    {mark(text, spans, on, off)}")


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="A question, Chinese or English.")],
    user: User = "local",
    group: Groups = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Answer from the documents the user may read, quoted with citations, or say that the
    knowledge base does not contain the answer."""
    from kb.core.errors import AccessViolation

    kb = _app(ctx)
    try:
        answer = kb.ask(question, _principal(user, group))
    except AccessViolation as exc:
        _access_failed(exc)
    except (ValueError, RuntimeError) as exc:  # AnswererFailed, a misconfigured chat model
        _fail(str(exc))
    out = answer.to_json()
    citations = out["citations"]
    if as_json:
        _print_json(out)
        return
    typer.echo(answer.text)
    if citations:
        typer.echo("\nSources:")
    for c in citations:
        where = c["path"] + (f", p. {c['page']}" if c["page"] else "")
        where += f" — {c['section']}" if c["section"] else ""
        typer.echo(f"  [{c['n']}] {where} (chars {c['char_start']}-{c['char_end']})")


@app.command("eval")
def eval_(
    ctx: typer.Context,
    questions: Annotated[Path, typer.Argument(help="Questions, one JSON object per line.")],
    k: Annotated[int, typer.Option("--k", "-k", min=1, help="Results per question.")] = 10,
    mode: Annotated[Optional[str], Mode] = None,
    user: User = "local",
    group: Groups = None,
    prefix: Annotated[str, typer.Option(help="Put before every gold path (when the corpus was ingested from a folder above theirs).")] = "",
    misses: Annotated[int, typer.Option(help="List up to N answerable questions whose gold file is not in the top 5.")] = 0,
    per_question: Annotated[bool, typer.Option("--per-question", help="Add every question's gold rank and top files (JSON).")] = False,
    answers: Annotated[bool, typer.Option("--answers", help="Ask the assistant instead of only searching: adds answer accuracy, refusal, hallucination and citation precision.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Retrieval metrics of a question set against the ingested corpus (recall@1/5/10, MRR@10,
    strict and lenient, overall and per dataset) and query latency; with --answers also the
    answer metrics (accuracy, refusal per kind, hallucination, citation precision)."""
    from kb.app.evaluate import load_questions
    from kb.core.errors import AccessViolation

    kb = _app(ctx)
    if not questions.is_file():
        _fail(f"no such file: {questions}")
    try:
        qs = load_questions(questions, prefix)
    except ValueError as exc:
        _fail(str(exc))
    known = kb.known_paths()
    if not known:
        _fail("nothing is ingested: run `kb ingest` on the corpus first")
    bar, close = (None, lambda: None) if as_json else _progress_bar("eval")
    progress = bar and (lambda i, n: bar("eval", i, n, ""))
    try:
        result = kb.evaluate(qs, _principal(user, group), k=k, mode=mode, answers=answers,
                             misses=misses, per_question=per_question, progress=progress)
    except AccessViolation as exc:
        _access_failed(exc)
    except (ValueError, RuntimeError) as exc:
        _fail(str(exc))
    finally:
        close()
    if as_json:
        _print_json(result)
        return
    _print_eval(result)


def _print_eval(r: dict) -> None:
    typer.echo(f"mode {r['mode']}, k {r['k']}: {r['questions']} questions, "
               f"{r['answerable']} answerable")
    head = f"{'':<36}{'n':>5} {'R@1':>7}{'R@5':>7}{'R@10':>7}{'MRR@10':>8}   lenient R@1/R@5"
    typer.echo(head)
    rows = [("all", r)] + [(name, b) for name, b in r["by_dataset"].items()]
    for name, b in rows:
        m = b["retrieval"]
        if not m:
            continue
        lm = m["lenient"]
        mrr = next(v for key, v in m.items() if key.startswith("mrr@"))
        typer.echo(f"{name[:35]:<36}{b['answerable']:>5} {m.get('recall@1', 0):>7.3f}"
                   f"{m.get('recall@5', 0):>7.3f}{m.get('recall@10', 0):>7.3f}{mrr:>8.3f}"
                   f"   {lm.get('recall@1', 0):.3f}/{lm.get('recall@5', 0):.3f}")
    if r.get("answers"):
        typer.echo(f"{'':<36}{'acc':>7}{'acc|ret':>8}{'ans.ref':>8}{'una.ref':>8}{'halluc':>8}"
                   f"{'cit.P':>7}")
        for name, b in [("all", r)] + list(r["by_dataset"].items()):
            a, f, c = b["answer"] or {}, b["refusal"] or {}, b["citations"] or {}
            cells = [a.get("accuracy"), a.get("accuracy_given_retrieved"),
                     f.get("answerable_refused"), f.get("unanswerable_refused"),
                     f.get("hallucinated"), c.get("precision")]
            typer.echo(f"{name[:35]:<36}" + "".join(
                f"{'-' if v is None else format(v, '.3f'):>{w}}"
                for v, w in zip(cells, (7, 8, 8, 8, 8, 7))))
        for name, b in r["by_unanswerable_kind"].items():
            typer.echo(f"  refused, {name}: {b['refusal']['unanswerable_refused']:.3f} "
                       f"of {b['questions']}")
    lat = r["latency_ms"]
    typer.echo(f"latency ms: p50 {lat['p50']}, p95 {lat['p95']}, max {lat['max']}")
    if r.get("gold_missing_from_index"):
        typer.echo(f"warning: {len(r['gold_missing_from_index'])} gold file(s) are not in the "
                   "index or not readable by this user (ingest the folder the gold paths are relative to, or use --prefix)")
    for miss in r.get("misses", []):
        typer.echo(f"  miss {miss['id']}: {miss['question']}  gold {miss['gold_docs']} "
                   f"top {miss['top']}")


@app.command("reindex-keywords")
def reindex_keywords(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rebuild the keyword index (tokens and statistics) from the chunks it stores."""
    kb = _app(ctx)
    t = time.perf_counter()
    n = kb.reindex_keywords()
    took = time.perf_counter() - t
    if as_json:
        _print_json({"chunks": n, "seconds": round(took, 3)})
    else:
        typer.echo(f"Re-tokenized {n} chunks in {took:.1f}s.")


@app.command()
def serve(
    ctx: typer.Context,
    port: Annotated[Optional[int], typer.Option(help="Port of the page (default KB_SERVE_PORT).")] = None,
    address: Annotated[Optional[str], typer.Option(help="Address to bind (default KB_SERVE_ADDRESS).")] = None,
) -> None:
    """Serve the Streamlit page (no usage statistics; bound to the configured address only;
    answering only to KB_ALLOWED_HOSTS)."""
    from kb.app.auth import page_hosts, write_streamlit_secrets

    kb = _app(ctx)
    s = kb.settings.model_copy(update={
        "serve_port": port or kb.settings.serve_port,
        "serve_address": address or kb.settings.serve_address})
    removed = kb.records.purge(s.retention_days)
    if removed:
        typer.echo(f"Retention: removed {removed} record(s) older than {s.retention_days} days.")
    page = Path(__file__).resolve().parent.parent / "ui" / "app.py"
    cmd = [
        sys.executable, "-m", "ui.serve", "run", str(page),  # ui/serve.py warms up first
        "--server.port", str(s.serve_port), "--server.address", s.serve_address,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", "--global.developmentMode", "false",
        "--client.toolbarMode", "minimal",
        # DNS rebinding: a WebSocket whose Host (or cross-site Origin) is not ours is refused
        "--server.enableCORS", "true", "--server.enableXsrfProtection", "true",
    ]
    for host in page_hosts(s):
        cmd += ["--server.allowedHosts", host]
    if s.auth == "oidc":
        try:
            cmd += ["--secrets.files", str(write_streamlit_secrets(s))]
        except ValueError as exc:
            _fail(str(exc))
    env = {**os.environ, "KB_SERVE_PORT": str(s.serve_port), "KB_SERVE_ADDRESS": s.serve_address,
           "PYTHONPATH": os.pathsep.join(  # `-m ui.serve` from any folder
               [str(page.parent.parent), *filter(None, [os.environ.get("PYTHONPATH")])])}
    kb.close()
    # Streamlit takes this process's place: a signal to `kb serve` (a service manager's stop, a
    # test's terminate) reaches the server itself and leaves no orphan holding the port.
    sys.stdout.flush()
    os.execve(sys.executable, cmd, env)


@app.command()
def api(
    ctx: typer.Context,
    port: Annotated[Optional[int], typer.Option(help="Port (default KB_API_PORT).")] = None,
    address: Annotated[Optional[str], typer.Option(help="Address to bind (default KB_API_ADDRESS).")] = None,
) -> None:
    """Serve the HTTP API: OpenAI-compatible /v1/chat/completions, REST, and MCP at /mcp
    (callers present a key from `kb keys create`)."""
    from kb.api.server import serve as serve_api

    kb = _app(ctx)
    address = address or kb.settings.api_address
    port = port or kb.settings.api_port
    typer.echo(f"kb api on http://{address}:{port} (MCP at /mcp)", err=True)
    serve_api(kb, address, port)


@app.command()
def mcp(
    ctx: typer.Context,
    user: User = "local",
    group: Groups = None,
) -> None:
    """Serve the MCP tools search, ask and open_passage over stdio, acting as the user and
    groups given (for an MCP client that starts `kb mcp` itself)."""
    from kb.app.auth import Identity, roles_for
    from kb.mcp import run_stdio

    kb = _app(ctx)
    principal = _principal(user, group)
    run_stdio(kb, Identity(principal, roles_for(principal.groups, kb.settings), user))


keys = typer.Typer(no_args_is_help=True, help="API keys of `kb api` and its MCP endpoint.")
app.add_typer(keys, name="keys")


@keys.command("create")
def keys_create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", help="Who the key acts as.")],
    group: Groups = None,
    name: Annotated[str, typer.Option("--name", help="What the key is for.")] = "",
    expires: Annotated[Optional[float], typer.Option("--expires", help="Days until it stops working (default never).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create a key; it is printed once and only its hash is stored."""
    try:
        record, key = _app(ctx).keys.create(user, group or [], name, expires)
    except ValueError as exc:
        _fail(str(exc))
    if as_json:
        _print_json({**record.to_json(), "key": key})
        return
    typer.echo(key)
    typer.echo(f"key {record.id} for {record.user}"
               + (f" (groups {', '.join(record.groups)})" if record.groups else "")
               + ": keep it now, it is not shown again.", err=True)


@keys.command("list")
def keys_list(
    ctx: typer.Context,
    user: Annotated[Optional[str], typer.Option("--user", help="Only this user's keys.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every key (never the key itself): id, user, groups, name, expiry, revocation."""
    rows = _app(ctx).keys.keys(user)
    if as_json:
        _print_json([r.to_json() for r in rows])
        return
    now = time.time()
    for r in rows:
        state = ("revoked" if r.revoked_at else "expired" if not r.active(now) else "active")
        until = (time.strftime(" until %Y-%m-%d", time.localtime(r.expires_at))
                 if r.expires_at else "")
        typer.echo(f"{r.id}  {state:<8} {r.user}  [{', '.join(r.groups)}]  {r.name}{until}")


@keys.command("revoke")
def keys_revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id (from `kb keys list`) or the key.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Revoke a key: it stops working at once."""
    done = _app(ctx).keys.revoke(key_id)
    if as_json:
        _print_json({"revoked": done})
    if not done:
        _fail(f"no active key {key_id!r}")
    if not as_json:
        typer.echo(f"Revoked {key_id}.")


if __name__ == "__main__":  # pragma: no cover
    app()
