"""The question's language and the few fixed sentences the assistant says in it."""

from __future__ import annotations

from retriever.tokens import cjk_share

NOT_FOUND = {"zh": "知识库中没有找到答案。", "en": "Not found in the knowledge base."}
FRAMING = {"zh": "知识库中的相关原文如下：", "en": "The knowledge base says:"}


def question_lang(text: str) -> str:
    """'zh' when at least a third of the question is Chinese (one character against one word),
    else 'en'."""
    return "zh" if cjk_share(text) >= 1 / 3 else "en"


def quote(text: str, lang: str) -> str:
    return f"“{text}”" if lang == "zh" else f'"{text}"'
