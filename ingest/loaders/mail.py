"""E-mail (.eml): headers as metadata and as a short block above the body (plain text preferred,
else the HTML part as visible text). Attached files are handed back as attachments, which the
pipeline ingests as their own documents (`mail.eml#report.pdf`)."""

from __future__ import annotations

import mimetypes
import re

from kb.core.errors import IngestError
from ingest.loaders.base import Attachment, LoadedDoc, LoadOptions, Page, clean_text, stem_of

HEADERS = ("subject", "from", "to", "cc", "date")
_UNSAFE = re.compile(r"[\x00-\x1f/\\#]+")


def safe_name(name: str, used: set[str], fallback: str) -> str:
    """An attachment's file name as its own document's name: no folders, no '#', unique."""
    name = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .") or fallback
    base, dot, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}.{ext}" if dot else f"{name}-{n}"
    used.add(candidate)
    return candidate


def mail_text(headers: dict[str, str], body: str) -> str:
    """The page of a mail: its headers as a short block, a blank line, the body."""
    head = "\n".join(f"{h.capitalize()}: {headers[h]}" for h in HEADERS if h in headers)
    return f"{head}\n\n{body.strip()}\n" if body.strip() else head + "\n"


def _part_text(part) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace")


def html_text(html: str) -> str:
    from ingest.loaders.html import load_html

    return load_html(html.encode("utf-8"), "body.html").pages[0].text


def _parts(part):
    """Every part, without descending into attached messages (they are documents of their own)."""
    yield part
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        for sub in part.get_payload():
            yield from _parts(sub)


def _attachments(msg, body) -> tuple[Attachment, ...]:
    out: list[Attachment] = []
    used: set[str] = set()
    for part in _parts(msg):
        if part is msg or part is body:
            continue
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            continue
        filename = part.get_filename()
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            data = inner.as_bytes() if hasattr(inner, "as_bytes") else b""
            subject = str(inner.get("subject", "") or "") if hasattr(inner, "get") else ""
            name = safe_name(filename or (subject or "message") + ".eml", used, "message.eml")
        elif filename or part.get_content_disposition() == "attachment":
            data = part.get_payload(decode=True) or b""
            ext = mimetypes.guess_extension(ctype) or ".bin"
            name = safe_name(filename or f"attachment{ext}", used, f"attachment{ext}")
        else:
            continue
        if data:
            out.append(Attachment(name, data))
    return tuple(out)


def load_eml(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    from email import policy
    from email.parser import BytesParser

    try:
        msg = BytesParser(policy=policy.default).parsebytes(data)
    except Exception as exc:
        raise IngestError("corrupt", f"could not parse the e-mail: {exc}") from exc
    if not any(msg.get(h) for h in ("from", "to", "subject", "date", "message-id")):
        raise IngestError("corrupt", "not an e-mail message (no From, To, Subject or Date header)")
    headers: dict[str, str] = {}
    for h in HEADERS:
        try:
            value = msg.get(h)
        except Exception:  # a malformed header must not lose the mail
            value = msg.get_all(h, [""])[0] if msg.get_all(h) else None
        if value:
            headers[h] = " ".join(clean_text(str(value)).split())
    body = msg.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        content = _part_text(body)
        text = html_text(content) if body.get_content_type() == "text/html" else clean_text(content)
    page_text = mail_text(headers, text)
    attachments = _attachments(msg, body)
    return LoadedDoc(
        pages=(Page(None, page_text),), title=headers.get("subject") or stem_of(name),
        mime="message/rfc822",
        metadata={"headers": headers, "attachments": [a.name for a in attachments]},
        attachments=attachments,
    )
