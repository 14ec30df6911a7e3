"""Per-file ingest failures with stable codes; one failed file never stops a run."""

from __future__ import annotations

CODES = (
    "encrypted", "corrupt", "unsupported", "too_large", "timeout", "empty", "ocr_failed",
    "unreadable", "vanished",
)


class IngestError(Exception):
    def __init__(self, code: str, message: str) -> None:
        if code not in CODES:
            raise ValueError(f"unknown ingest error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
