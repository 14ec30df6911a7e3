"""Document-derived strings (titles, headings, paths, file and folder names) reach the page as
text: rendered as CommonMark, no element of the page holds an image, a link or an autolink."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from tests.ui.conftest import page
from tests.ui.test_pages import ask

EVIL = "198.51.100.7"
HOSTILE_MD = (f"# ![pixel](http://{EVIL}/pixel.png) Parking policy\n\n"
              f"## [Re-enter your password](http://{EVIL}/login) <img src=http://{EVIL}/i.png>\n\n"
              "Parking permits cost 30 euros per month for every employee, see "
              f"www.{EVIL}.nip.io or mail pay@{EVIL}.nip.io.\n")
HOSTILE_NAME = "![p](x.png) parking <b>.md"


def markdown_sources(at) -> list[str]:
    """Every Markdown string the page sent: text elements, button labels, tab labels."""
    out = [str(e.value) for e in [*at.markdown, *at.caption, *at.warning, *at.error, *at.info,
                                  *at.success, *at.subheader]]
    out += [b.label for b in at.button]
    out += [t.label for t in at.tabs]
    return out


def assert_plain(at) -> None:
    md = MarkdownIt("commonmark")
    for source in markdown_sources(at):
        rendered = md.render(source)
        assert "<img" not in rendered and "<a " not in rendered, source
        plain = re.sub(r"\\(.)", r"\1", source)  # what GFM's autolinks look at (the escapes
        assert "://" not in plain and "www." not in plain.lower(), source  # do not stop them)
        assert not re.search(r"@\w", plain), source


def _hostile(samples):
    (samples / "en" / HOSTILE_NAME).write_text(HOSTILE_MD, encoding="utf-8")


def test_search_results_and_preview_show_titles_and_headings_as_text(page_env, samples):
    """A title with an image made every reader's browser fetch an outside URL."""
    _hostile(samples)
    page_env()
    at = page("screens/search.py")
    at.text_input(key="kb-search-q").input("parking permits euros").run()
    assert not at.exception
    assert any("Parking policy" in s for s in markdown_sources(at))
    assert_plain(at)
    at = at.button(key="kb-preview-btn-1").click().run()
    assert any("pixel" in s for s in markdown_sources(at))
    assert_plain(at)


def test_citations_and_passages_show_paths_and_headings_as_text(page_env, samples):
    """A heading became a live "Re-enter your password" link in the cited passage."""
    _hostile(samples)
    page_env()
    at = ask(page(), "How much do parking permits cost per month?")
    cite = [b for b in at.button if b.key and b.key.startswith("kb-cite-")]
    assert cite
    at = cite[0].click().run()
    assert not at.exception and any("Re\\-enter" in s for s in markdown_sources(at)), markdown_sources(at)
    assert_plain(at)


def test_library_tabs_captions_and_summaries_show_names_as_text(page_env, samples, tmp_path):
    """Folder and file names went into tab labels, captions and summaries as Markdown."""
    from tests.ui.test_pages import OWNER

    _hostile(samples)
    page_env("header", headers=OWNER)
    at = page()
    at.switch_page("screens/library.py").run()
    at.selectbox(key="kb-rm-pick-0").select(f"en/{HOSTILE_NAME}").run()
    at = at.button(key="kb-rm-go-0").click().run()
    assert not at.exception and any("parking" in s for s in markdown_sources(at))
    assert_plain(at)
