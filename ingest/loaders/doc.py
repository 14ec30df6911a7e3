"""Legacy Word 97-2003 (.doc) through Debian's antiword (offline): its DocBook output, read by
pandoc into HTML and then by the HTML loader, so headings become sections and tables keep their
cells. Encrypted files are decrypted first with a configured password (msoffcrypto)."""

from __future__ import annotations

import io
import shutil

from kb.core.errors import IngestError
from ingest.loaders.base import LoadedDoc, LoadOptions
from ingest.loaders.convert import pandoc_path, run_tool
from ingest.loaders.office import decrypt_ole, is_ole

KIND = "Word 97-2003 document (.doc)"


def _encrypted(data: bytes) -> bool:
    try:
        import msoffcrypto

        return bool(msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted())
    except Exception:  # not a Word file msoffcrypto knows: antiword says what it is
        return False


def load_doc(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    from ingest.loaders.html import load_html

    if not is_ole(data):
        raise IngestError("corrupt", f"not a valid {KIND} (no OLE compound file header)")
    if _encrypted(data):
        data = decrypt_ole(data, KIND, options)
    antiword, pandoc = shutil.which("antiword"), pandoc_path()
    if antiword is None or pandoc is None:
        raise IngestError("unsupported", f"reading a {KIND} needs antiword (`apt-get install "
                          "antiword`) and pandoc (`pip install pypandoc-binary`)")
    docbook = run_tool([antiword, "-x", "db"], data, "antiword",
                       file_suffix=".doc")
    html = run_tool([pandoc, "--sandbox", "-f", "docbook", "-t", "html5"],
                    docbook.encode("utf-8"), "pandoc")
    doc = load_html(html.encode("utf-8"), name, options)
    return LoadedDoc(pages=doc.pages, title=doc.title, mime="application/msword",
                     metadata={"converter": "antiword"})
