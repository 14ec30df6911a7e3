"""The Streamlit page: a search box over the ingested documents the user may read.

Run with `kb serve` (or `streamlit run ui/app.py`). Settings come from KB_* variables / .env.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ui.render import highlight, location  # noqa: E402


@st.cache_resource
def _kb():
    from kb.config import Settings
    from kb.wiring import build

    return build(Settings())


def main() -> None:
    st.set_page_config(page_title="Knowledge base · 知识库", page_icon="📚", layout="wide")
    kb = _kb()
    from kb.types import Principal

    principal = Principal(kb.settings.local_user, frozenset(kb.settings.local_groups))
    st.title("Knowledge base · 知识库")
    tokens = principal.acl_tokens()
    docs = [d for d in kb.manifest.docs() if d.status == "ok" and d.acl & tokens]
    st.caption(f"{len(docs)} documents searchable · 可检索文档 {len(docs)} 篇")
    query = st.text_input("Search · 搜索", placeholder="e.g. 年假有几天 / expense claim deadline")
    if not query.strip():
        return
    hits = kb.searcher().search(query.strip(), principal)
    if not hits:
        st.info("No results in the knowledge base. · 知识库中没有找到结果。")
        return
    for rank, hit in enumerate(hits, start=1):
        c = hit.chunk
        with st.container(border=True):
            st.markdown(f"**{rank}. {c.title or c.path}** — `{location(c)}`")
            st.markdown(highlight(c.text, query), unsafe_allow_html=False)


main()
