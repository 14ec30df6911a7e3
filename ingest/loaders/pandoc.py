"""RTF, OpenDocument text and EPUB through pandoc (the binary inside the pypandoc-binary wheel,
offline, `--sandbox`: it reads no file but its input): converted to HTML, then read by the HTML
loader, so headings become sections and tables keep their cells."""

from __future__ import annotations

import io
import re
import zipfile
from kb.core.errors import IngestError
from ingest.loaders.base import LoadedDoc, LoadOptions
from ingest.loaders.convert import pandoc_path, run_tool

TEMPLATE = "<html><head><title>$title$</title></head><body>\n$body$\n</body></html>\n"
FORMATS = {  # extension: (pandoc reader, mime, what people call it)
    ".rtf": ("rtf", "application/rtf", "RTF file"),
    ".odt": ("odt", "application/vnd.oasis.opendocument.text", "OpenDocument text"),
    ".epub": ("epub", "application/epub+zip", "EPUB book"),
}
# RTF and ODT cells hold paragraphs; one paragraph in a cell is just the cell's text.
_CELL_PARAGRAPH = re.compile(r"(<t[dh][^>]*>)\s*<p>((?:(?!</?p>).)*)</p>\s*(</t[dh]>)", re.S)
# EPUB font obfuscation lists fonts in encryption.xml too; only other entries mean DRM.
_FONT_OBFUSCATION = (b"http://www.idpf.org/2008/embedding", b"http://ns.adobe.com/pdf/enc#RC")


def _check_package(data: bytes, ext: str, kind: str) -> None:
    """ODT and EPUB are ZIP packages: refuse broken, password-protected and DRM-locked ones."""
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        names = set(package.namelist())
        if ext == ".odt" and "META-INF/manifest.xml" in names:
            if b"encryption-data" in package.read("META-INF/manifest.xml"):
                raise IngestError("encrypted", f"the {kind} is password-protected; save a copy "
                                  "without a password (OpenDocument passwords are not supported)")
        if ext == ".epub" and "META-INF/encryption.xml" in names:
            spec = package.read("META-INF/encryption.xml")
            methods = spec.count(b"EncryptionMethod")
            fonts = sum(spec.count(m) for m in _FONT_OBFUSCATION)
            if methods > fonts:
                raise IngestError("encrypted", f"the {kind} is DRM-protected; only books "
                                  "without DRM can be read")
    except IngestError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise IngestError("corrupt", f"not a valid {kind} (not a ZIP package: {exc})") from exc


def load_pandoc(data: bytes, name: str, options: LoadOptions = LoadOptions()) -> LoadedDoc:
    from ingest.loaders import extension
    from ingest.loaders.html import load_html

    reader, mime, kind = FORMATS[extension(name)]
    if reader == "rtf":
        if data.lstrip()[:5] != b"{\\rtf":
            raise IngestError("corrupt", f"not a valid {kind} (no {{\\rtf header)")
    else:
        _check_package(data, extension(name), kind)
    pandoc = pandoc_path()
    if pandoc is None:
        raise IngestError("unsupported", f"reading an {kind} needs pandoc: install with "
                          "`pip install pypandoc-binary`")
    html = run_tool([pandoc, "--sandbox", "-f", reader, "-t", "html5", "-s",
                     "--template=page.html"], data, "pandoc", files={"page.html": TEMPLATE})
    html = _CELL_PARAGRAPH.sub(r"\1\2\3", html)
    doc = load_html(html.encode("utf-8"), name, options)
    return LoadedDoc(pages=doc.pages, title=doc.title, mime=mime,
                     metadata={"converter": "pandoc"})
