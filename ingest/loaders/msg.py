"""Outlook messages (.msg): read with olefile (BSD) from the MAPI property streams of the compound
file (MS-OXMSG), shown like an .eml: headers as a short block above the body (plain text, else the
HTML body as visible text). Attached files are handed back as attachments, and an attached
message as an .eml of its own (`mail.msg#Re: budget.eml`), like the attachments of an .eml."""

from __future__ import annotations

import io
import struct
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime

from kb.core.errors import IngestError
from ingest.loaders.base import Attachment, LoadedDoc, LoadOptions, Page, clean_text, stem_of
from ingest.loaders.mail import html_text, mail_text, safe_name
from ingest.loaders.office import is_ole

SUBJECT, SENDER_NAME, SENDER_EMAIL, DISPLAY_TO, DISPLAY_CC = 0x0037, 0x0C1A, 0x0C1F, 0x0E04, 0x0E03
BODY, HTML, SUBMIT_TIME, DELIVERY_TIME, CODEPAGE = 0x1000, 0x1013, 0x0039, 0x0E06, 0x3FFD
ATTACH_DATA, ATTACH_LONG_NAME, ATTACH_NAME, DISPLAY_NAME = 0x3701, 0x3707, 0x3704, 0x3001
PT_UNICODE, PT_STRING8, PT_BINARY, PT_OBJECT, PT_LONG, PT_SYSTIME = (
    0x001F, 0x001E, 0x0102, 0x000D, 0x0003, 0x0040)
MAX_DEPTH = 5  # messages attached to messages attached to ...
_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)


class _Message:
    """One message's properties: the top-level one, or one embedded in an attachment."""

    def __init__(self, ole, prefix: str, header: int) -> None:
        self.ole, self.prefix = ole, prefix
        self.fixed = self._fixed(header)
        codepage = self.fixed.get((CODEPAGE, PT_LONG))
        self.codepage = f"cp{struct.unpack('<I', codepage[:4])[0]}" if codepage else "cp1252"

    def _stream(self, name: str) -> bytes | None:
        path = self.prefix + name
        if not self.ole.exists(path) or self.ole.get_type(path) != 2:  # STGTY_STREAM
            return None
        return self.ole.openstream(path).read()

    def _fixed(self, header: int) -> dict[tuple[int, int], bytes]:
        """Fixed-size properties (numbers, times) from `__properties_version1.0`."""
        raw = self._stream("__properties_version1.0") or b""
        out = {}
        for at in range(header, len(raw) - 15, 16):
            tag, = struct.unpack("<I", raw[at:at + 4])
            out[(tag >> 16, tag & 0xFFFF)] = raw[at + 8:at + 16]
        return out

    def text(self, pid: int) -> str:
        raw = self._stream(f"__substg1.0_{pid:04X}{PT_UNICODE:04X}")
        if raw is not None:
            return clean_text(raw.decode("utf-16-le", "replace"))
        raw = self._stream(f"__substg1.0_{pid:04X}{PT_STRING8:04X}")
        if raw is not None:
            try:
                return clean_text(raw.decode(self.codepage, "replace"))
            except LookupError:
                return clean_text(raw.decode("cp1252", "replace"))
        return ""

    def binary(self, pid: int) -> bytes | None:
        return self._stream(f"__substg1.0_{pid:04X}{PT_BINARY:04X}")

    def time(self) -> str:
        for pid in (SUBMIT_TIME, DELIVERY_TIME):
            value = self.fixed.get((pid, PT_SYSTIME))
            if value:
                ticks, = struct.unpack("<Q", value)
                try:
                    return format_datetime(_EPOCH + timedelta(microseconds=ticks // 10))
                except (OverflowError, ValueError):
                    continue
        return ""

    def headers(self) -> dict[str, str]:
        sender, address = self.text(SENDER_NAME), self.text(SENDER_EMAIL)
        if address and "@" in address and address not in sender:
            sender = f"{sender} <{address}>" if sender else address
        values = {"subject": self.text(SUBJECT), "from": sender, "to": self.text(DISPLAY_TO),
                  "cc": self.text(DISPLAY_CC), "date": self.time()}
        return {k: " ".join(v.split()) for k, v in values.items() if v.strip()}

    def body(self) -> str:
        text = self.text(BODY)
        if text.strip():
            return text
        html = self.binary(HTML)
        if html is None:
            html = self.text(HTML).encode("utf-8") or None
        return html_text(html.decode("utf-8", "replace")) if html else ""

    def attachment_storages(self) -> list[str]:
        here = [part for part in self.prefix.split("/") if part]
        return sorted(entry[-1] for entry in self.ole.listdir(streams=False, storages=True)
                      if entry[:-1] == here and entry[-1].startswith("__attach_version1.0_#"))

    def attachments(self, depth: int) -> tuple[Attachment, ...]:
        out: list[Attachment] = []
        used: set[str] = set()
        for storage in self.attachment_storages():
            att = _Message(self.ole, f"{self.prefix}{storage}/", 8)
            embedded = f"{att.prefix}__substg1.0_{ATTACH_DATA:04X}{PT_OBJECT:04X}"
            if self.ole.exists(embedded) and self.ole.get_type(embedded) == 1:  # a storage
                if depth >= MAX_DEPTH:
                    continue
                inner = _Message(self.ole, embedded + "/", 24)
                subject = inner.headers().get("subject") or "message"
                name = safe_name(subject + ".eml", used, "message.eml")
                out.append(Attachment(name, inner.as_eml(depth + 1)))
                continue
            data = att.binary(ATTACH_DATA)
            if not data:
                continue
            filename = att.text(ATTACH_LONG_NAME) or att.text(ATTACH_NAME) or att.text(DISPLAY_NAME)
            out.append(Attachment(safe_name(filename or "attachment.bin", used,
                                            "attachment.bin"), data))
        return tuple(out)

    def as_eml(self, depth: int) -> bytes:
        """An attached message as an .eml: its headers, body and attachments."""
        mail = EmailMessage()
        for header, value in self.headers().items():
            try:
                mail[header] = value
            except (ValueError, TypeError):  # a display name that is no address list
                mail[f"X-Original-{header.capitalize()}"] = value
        mail.set_content(self.body() or "")
        for att in self.attachments(depth):
            mail.add_attachment(att.data, maintype="application", subtype="octet-stream",
                                filename=att.name)
        return mail.as_bytes()


def load_msg(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    import olefile

    if not is_ole(data):
        raise IngestError("corrupt", "not an Outlook message (no OLE compound file header)")
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:
        raise IngestError("corrupt", f"the Outlook message is damaged: {exc}") from exc
    try:
        if not ole.exists("__properties_version1.0"):
            raise IngestError("corrupt", "not an Outlook message (no MAPI properties)")
        msg = _Message(ole, "", 32)
        headers = msg.headers()
        body = msg.body()
        attachments = msg.attachments(0)
    except IngestError:
        raise
    except Exception as exc:  # a broken stream or sector chain
        raise IngestError("corrupt", f"the Outlook message is damaged: {exc}") from exc
    finally:
        ole.close()
    return LoadedDoc(
        pages=(Page(None, mail_text(headers, body)),), title=headers.get("subject") or stem_of(name),
        mime="application/vnd.ms-outlook",
        metadata={"headers": headers, "attachments": [a.name for a in attachments]},
        attachments=attachments,
    )
