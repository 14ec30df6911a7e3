"""The product's domain exceptions, in one place: a front end imports errors, never a pipeline.

Every one of them is an expected outcome that a front end reports in its own words (the CLI with
exit code 2, the page in a box, an API with a stable error code)."""

from __future__ import annotations

CODES = (
    "encrypted", "corrupt", "unsupported", "too_large", "timeout", "empty", "ocr_failed",
    "unreadable", "vanished", "embedding",
)


class IngestError(Exception):
    """One file could not be ingested; `code` is one of CODES (stable, for machines)."""

    def __init__(self, code: str, message: str) -> None:
        if code not in CODES:
            raise ValueError(f"unknown ingest error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


class EmbeddingServerError(RuntimeError):
    """The embeddings server is down, refused the request or answered something unusable (the
    message says which); during an ingest the files of the batch fail with code `embedding`."""


class IngestLocked(RuntimeError):
    """Another ingest holds the writers' lock."""


class AclConfigError(ValueError):
    """An `acl.yaml` that cannot be used: the ingest does not start."""


class AccessViolation(RuntimeError):
    """A result the principal may not read reached the end of a search: a bug, never data."""


class AnswererFailed(RuntimeError):
    """The chat model could not be reached or failed mid-answer (the message says which)."""


class NotFound(LookupError):
    """The document or passage does not exist for this asker: deleted, never ingested, or not
    readable by them. One exception for all three, so that no answer tells them apart."""


class UploadRefused(ValueError):
    """A file offered through the page (or the API) that is not written: `code` says why
    (bad_name, name_too_long, rule_file, bad_folder, unknown_root, not_a_file, write_failed)."""

    def __init__(self, code: str, name: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.name = name
        self.message = message


class QueryTooLong(ValueError):
    """A search query or question longer than `KB_MAX_QUERY_CHARS`: refused before any work."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"the query has {length} characters; the limit is {limit} "
                         f"(KB_MAX_QUERY_CHARS)")
        self.length = length
        self.limit = limit
