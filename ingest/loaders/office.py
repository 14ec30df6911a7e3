"""Office Open XML packages (DOCX, XLSX, PPTX): the ZIP inside, decrypted when the file is an
encrypted OLE container and a configured password opens it."""

from __future__ import annotations

import io
import zipfile

from kb.core.errors import IngestError
from ingest.loaders.base import LoadOptions

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def is_ole(data: bytes) -> bool:
    return data.startswith(OLE_MAGIC)


def encrypted_error(kind: str, tried: int) -> IngestError:
    if tried:
        return IngestError("encrypted", f"the {kind} is password-protected and none of the "
                           f"{tried} configured password(s) for this path opened it")
    return IngestError("encrypted", f"the {kind} is password-protected; add its password for "
                       "this path to KB_PASSWORDS or KB_PASSWORDS_FILE")


def decrypt_ole(data: bytes, kind: str, options: LoadOptions) -> bytes:
    """Decrypted bytes of an encrypted Office file (OOXML in OLE, or legacy RC4 .xls/.doc)."""
    try:
        import msoffcrypto
        from msoffcrypto.exceptions import DecryptionError, InvalidKeyError
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise encrypted_error(kind, 0) from exc
    for password in options.passwords:
        try:
            office = msoffcrypto.OfficeFile(io.BytesIO(data))
            office.load_key(password=password, verify_password=True)
            out = io.BytesIO()
            office.decrypt(out)
            return out.getvalue()
        except (InvalidKeyError, DecryptionError):
            continue
        except Exception as exc:
            raise IngestError("corrupt", f"could not decrypt the {kind}: {exc}") from exc
    raise encrypted_error(kind, len(options.passwords))


def open_package(data: bytes, kind: str, options: LoadOptions) -> bytes:
    """The ZIP bytes of a DOCX/XLSX/PPTX, or an IngestError saying why there are none."""
    if is_ole(data):
        import olefile

        try:
            ole = olefile.OleFileIO(io.BytesIO(data))
            encrypted = ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage")
            ole.close()
        except Exception as exc:
            raise IngestError("corrupt", f"not a valid {kind} file: {exc}") from exc
        if not encrypted:
            raise IngestError(
                "unsupported", f"this is a legacy binary Office file, not a {kind}; save it in "
                "the current format (.docx, .xlsx, .pptx) or as PDF")
        data = decrypt_ole(data, kind, options)
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise IngestError("corrupt", f"not a valid {kind} file (not a ZIP container)")
    return data
