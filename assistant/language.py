"""The question's language and the few fixed sentences the assistant says in it."""

from __future__ import annotations

from kb.core.text import language

NOT_FOUND = {"zh": "知识库中没有找到答案。", "en": "Not found in the knowledge base."}
FRAMING = {"zh": "知识库中的相关原文如下：", "en": "The knowledge base says:"}


def question_lang(text: str) -> str:
    """The language the assistant answers in: the question's by the one rule of
    kb.core.text.language, English for a question with no words at all."""
    return "zh" if language(text) == "zh" else "en"


def quote(text: str, lang: str) -> str:
    return f"“{text}”" if lang == "zh" else f'"{text}"'
