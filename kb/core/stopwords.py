"""Words that say little about what a passage is about, dropped from keyword queries only.

The index keeps every token (so phrases, counts and lengths stay true); a query keeps its
stopwords when it has nothing else. English entries are matched before stemming, Chinese entries
against jieba's words. The lists are general (function words, question words and the words jieba makes of
questions: 几天, 多长时间, "how many"), not fitted to any evaluation set: a question word never
occurs in the passage that answers it, so as a key term it only dilutes the real ones.
"""

from __future__ import annotations

ENGLISH = frozenset("""
a about above after again against all am an and any are aren't as at be because been before being
below between both but by can cannot could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it its
itself just me more most my myself no nor not now of off on once only or other ought our ours
ourselves out over own same she should so some such than that the their theirs them themselves
then there these they this those through to too under until up very was we were what when where
which while who whom whose why will with would you your yours yourself yourselves
many much get gets got
also s t d ll m re ve didn doesn don hadn hasn haven isn wasn weren won wouldn shouldn couldn
""".split())

CHINESE = frozenset("""
的 了 是 在 和 与 及 或 并 而 且 之 其 于 以 为 被 把 将 对 从 向 由 因 因为 所以 但 但是 也 都 就
还 又 等 等等 这 那 这个 那个 这些 那些 此 该 个 着 过 吗 呢 吧 啊 呀 么 嘛 哪 哪里 哪儿 哪个 哪些
哪一 哪种 哪位 哪年 什么 什么样 怎么 怎样 怎么样 如何 为何 为什么 何 何时 何地 何处 谁 多少 几 几个
是否 是不是 有没有 能否 可否 有 有关 关于 一个 一种 请问 请 我 我们 你 你们 他 他们 她 她们 它 它们
多久 多长 多长时间 长时间 多大 多高 多远 多重 多少次 几天 几点 几位 几年 几次 几号 几月 几岁 几种
时候 什么时候 怎么办 要 需要 应该 可以 能 能够 会 给 来 得
""".split())

STOPWORDS = ENGLISH | CHINESE
