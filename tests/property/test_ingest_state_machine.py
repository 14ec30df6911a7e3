"""Random sequences of write / edit / rename / delete / re-ingest: after every re-ingest the
manifest, the Chroma ids and the keyword index equal exactly what is on disk, and a second
re-ingest has nothing to do."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kb.core.config import Settings
from kb.app.wiring import build
from kb.core.testing.fakes import BagOfWordsEmbeddings
from tests.helpers import assert_indexes_match_disk

NAMES = ["a.md", "b.txt", "sub/c.md", "sub/deeper/d.txt", "请假制度.md", "报销/规定.txt",
         "notes.html"]
SENTENCES = ["Annual leave is 15 days. ", "员工每年享有带薪年假。", "Claims need receipts. ",
             "报销须在30日内提交。", "MFA is mandatory for email. ", "\n\n", "# Heading\n"]
# whitespace-only files fail as `empty` (tests/integration/test_bad_input.py covers that)
contents = st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=40).map("".join).filter(
    str.strip)


class IngestMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="kb-prop-"))
        self.root = self.tmp / "root"
        self.root.mkdir()
        self.app = build(Settings(home=self.tmp / "home", chunk_size=120, chunk_overlap=30),
                         embedder_override=BagOfWordsEmbeddings())
        self.files: set[str] = set()
        self.ingested_once = False

    def teardown(self) -> None:
        self.app.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _write(self, name: str, text: str) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.files.add(name)

    @rule(name=st.sampled_from(NAMES), text=contents)
    def write(self, name, text):
        self._write(name, text)

    @precondition(lambda self: self.files)
    @rule(data=st.data(), text=contents)
    def edit(self, data, text):
        self._write(data.draw(st.sampled_from(sorted(self.files))), text)

    @precondition(lambda self: self.files)
    @rule(data=st.data(), new=st.sampled_from(NAMES))
    def rename(self, data, new):
        old = data.draw(st.sampled_from(sorted(self.files)))
        if new == old:
            return
        target = self.root / new
        target.parent.mkdir(parents=True, exist_ok=True)
        (self.root / old).replace(target)
        self.files.discard(old)
        self.files.add(new)

    @precondition(lambda self: self.files)
    @rule(data=st.data())
    def delete(self, data):
        name = data.draw(st.sampled_from(sorted(self.files)))
        (self.root / name).unlink()
        self.files.discard(name)

    @rule()
    def reingest(self):
        report = self.app.ingestor().run([str(self.root)])
        assert report.failed == ()
        assert_indexes_match_disk(self.app, self.root)
        again = self.app.ingestor().run([str(self.root)])
        assert again.nothing_to_do, again
        assert again.unchanged == len(self.files)
        self.ingested_once = True

    @invariant()
    def manifest_never_has_pending_work(self):
        assert self.app.manifest.pending() == []


IngestMachine.TestCase.settings = hsettings(
    max_examples=20, stateful_step_count=12, deadline=None
)
TestIngestStateMachine = IngestMachine.TestCase
