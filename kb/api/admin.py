"""Content owners' routes: start an ingest job and follow it, delete a document. An ingest runs
as a job, one at a time (kb/app/jobs.py; the writers' lock still serialises it with `kb ingest`
in other processes). The API ingests only from folders the settings name
(`KB_API_INGEST_ROOTS`) or from inside roots already ingested: never anywhere on the server."""

from __future__ import annotations

import os

from fastapi import APIRouter, Depends, Request

from kb.api.common import caller, service
from kb.api.errors import ApiError, documented
from kb.api.identity import require_owner
from kb.api.schemas import DeletedOut, IngestIn, JobOut
from kb.app.auth import Identity
from kb.core.errors import NotFound

router = APIRouter(prefix="/v1", tags=["content owners"])


def allowed_roots(kb) -> list[str]:
    roots = kb.settings.api_ingest_roots or sorted({d.root for d in kb.library()})
    return [os.path.realpath(r) for r in roots]


def checked_path(path: str, roots: list[str]) -> str:
    if not path.strip() or "\x00" in path:
        raise ApiError(400, "invalid_path", "a path is empty")
    real = os.path.realpath(path)
    if not any(real == r or real.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
        raise ApiError(400, "path_not_allowed", f"{path}: not inside a folder the API may "
                       "ingest (KB_API_INGEST_ROOTS)")
    if not os.path.exists(real):
        raise ApiError(400, "no_such_path", f"no such file or folder: {path}")
    return real


@router.post("/ingest", status_code=202, response_model=JobOut,
             responses=documented(400, 401, 403, 409))
def ingest(req: IngestIn, request: Request, ident: Identity = Depends(caller)) -> dict:
    """Start syncing folders into the indexes; follow it at /v1/jobs/{id}."""
    require_owner(ident)
    kb = service(request)
    roots = allowed_roots(kb)
    paths = [checked_path(p, roots) for p in req.paths]
    return kb.jobs.start(paths, dry_run=req.dry_run).to_json()


@router.get("/jobs/{job_id}", response_model=JobOut, responses=documented(401, 403, 404))
def job(job_id: str, request: Request, ident: Identity = Depends(caller)) -> dict:
    """An ingest job's status, progress and, once done, its report (or its error)."""
    require_owner(ident)
    found = service(request).jobs.get(job_id)
    if found is None:
        raise NotFound("no such job")
    return found.to_json()


@router.delete("/documents/{doc_id}", response_model=DeletedOut,
               responses=documented(401, 403, 404, 409))
def delete(doc_id: str, request: Request, ident: Identity = Depends(caller)) -> dict:
    """Remove a document (and its attachments) from every index; the file is not touched."""
    require_owner(ident)
    return {"deleted": service(request).delete_document(doc_id).documents}
