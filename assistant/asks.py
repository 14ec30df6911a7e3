"""What a question asks for, and whether a sentence holds it: a quantity for "how many / 几天 /
多少", a time for "when / 何时", a person or a body for "who / 谁". A quote that holds none of
what the question asks for is not an answer, however many of its words it repeats ("Who is the
CEO?" -> "This policy applies to all employees of the company.")."""

from __future__ import annotations

import re

NUMBER, TIME, WHO = "number", "time", "who"

_ASKS = (
    (NUMBER, re.compile(
        r"^\s*(?:how (?:many|much|long|old|far|large|big|tall|high|often))\b"
        r"|\b(?:what|which) (?:percentage|number|amount|size)\b|\bhow much\b|\bhow many\b"
        r"|多少|几[天个次位名人岁年月周号点倍种]|多久|多长|多大|多高|多远|几成|几折",
        re.IGNORECASE)),
    (TIME, re.compile(
        r"^\s*when\b|\bin what year\b|\bwhat (?:year|date|month|day|time|decade|century)\b"
        r"|\bwhen (?:is|are|was|were|do|does|did|will|can|should)\b"
        r"|何时|哪一?年|哪天|哪一天|什么时候|什么时间|年份|日期|几月|几号",
        re.IGNORECASE)),
    (WHO, re.compile(
        r"^\s*(?:who|whom|whose)\b|\bto whom\b|\bwho (?:is|are|was|were|do|does|did|approves|"
        r"has|have|can|must|should|will)\b|谁|哪位|什么人|哪个部门|哪个人",
        re.IGNORECASE)),
)

_DIGIT = re.compile(r"\d")
_NUMBER_WORDS = re.compile(
    r"[一二三四五六七八九十百千万亿两半]+\s*[年月日天个种次位名人岁倍周小时分钟元成折%点号层级]|"
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|"
    r"thirty|forty|fifty|hundred|thousand|million|billion|dozen|half|once|twice|single|"
    r"double)\b", re.IGNORECASE)
_TIME_WORDS = re.compile(
    r"\b(?:day|days|week|weeks|month|months|year|years|annual|annually|daily|weekly|monthly|"
    r"quarter|morning|evening|night|noon|today|tomorrow|before|after|during|within|until|"
    r"end|start|beginning|first|last|next|immediately|monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday|january|february|march|april|may|june|july|august|september|"
    r"october|november|december|spring|summer|autumn|fall|winter|century|decade)\b"
    r"|[年月日天周季]|之前|以前|之后|以后|期间|当天|当日|前|后|内|时|届时|立即|随",
    re.IGNORECASE)
# people and bodies: roles and organisational units, a capitalised name inside a sentence,
# an address; for Chinese the roles and units, and names as jieba's tagger sees them
_WHO_WORDS = re.compile(
    r"\b(?:manager|managers|director|directors|head|heads|department|departments|team|teams|"
    r"officer|officers|committee|board|president|chair|chairman|ceo|cfo|cto|lead|leader|"
    r"supervisor|supervisors|buddy|mentor|colleague|colleagues|hr|finance|desk|service|"
    r"owner|founder|minister|government|university|court|"
    r"council|he|she|him|her|mr|mrs|ms|dr|king|queen)\b|@"
    r"|负责人|经理|总监|主管|部门|部|人力资源|财务|董事|主任|委员会|领导|上级|本人|同事|"
    r"导师|处|科|中心|局|院|厅|政府|法院|大学|学校|协会|组织|团队|小组|他|她|先生|女士|"
    r"总统|主席|部长|市长|省长|总理|教练|选手|队|冠军|获得者",
    re.IGNORECASE)
_NAME = re.compile(r"(?<=[a-z,;:] )(?:[A-Z][a-z]+|[A-Z]{2,})\b")


def asks(question: str) -> str:
    """NUMBER, TIME, WHO, or '' when the question does not ask for one of them."""
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return ""


def holds(kind: str, text: str) -> bool:
    """Whether `text` holds an answer of `kind` (any text does for kind '')."""
    if not kind:
        return True
    if kind == NUMBER:
        return bool(_DIGIT.search(text) or _NUMBER_WORDS.search(text))
    if kind == TIME:
        return bool(_DIGIT.search(text) or _NUMBER_WORDS.search(text)
                    or _TIME_WORDS.search(text))
    return bool(_WHO_WORDS.search(text) or _NAME.search(text) or _chinese_name(text))


def _chinese_name(text: str) -> bool:
    if not re.search(r"[\u4e00-\u9fff]", text):
        return False
    import jieba.posseg  # ships its dictionary; loaded on the first Chinese "who" question

    return any(flag in ("nr", "nrfg", "nrt", "nt") for _, flag in jieba.posseg.lcut(text))
