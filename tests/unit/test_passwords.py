"""Passwords by path glob, from KB_PASSWORDS (JSON) and a YAML passwords file."""

from __future__ import annotations

import pytest

from ingest.passwords import PasswordsConfigError, load_passwords
from kb.core.config import Settings


def test_globs_from_the_environment_and_a_file(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text('"finance/**": ["q3-2025", "q2-2025"]\n"**/*.pdf": "fallback"\n')
    monkeypatch.setenv("KB_PASSWORDS", '{"finance/*.xlsx": "sheet-pw"}')
    monkeypatch.setenv("KB_PASSWORDS_FILE", str(secrets))
    book = load_passwords(Settings(_env_file=None))
    assert book.for_path("finance/budget.xlsx") == ("sheet-pw", "q3-2025", "q2-2025")
    assert book.for_path("finance/2025/report.pdf") == ("q3-2025", "q2-2025", "fallback")
    assert book.for_path("hr/offer.pdf") == ("fallback",)
    assert book.for_path("hr/offer.docx") == ()
    assert "q3" not in repr(book)  # secrets never printed


def test_bad_passwords_file_is_a_clear_error(tmp_path):
    with pytest.raises(PasswordsConfigError, match="not found"):
        load_passwords(Settings(_env_file=None, passwords_file=str(tmp_path / "missing.yaml")))
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(PasswordsConfigError, match="mapping"):
        load_passwords(Settings(_env_file=None, passwords_file=str(bad)))


def test_pipeline_opens_an_encrypted_file_with_its_glob_password(tmp_path, settings):
    from ingest.manifest import SqliteManifest
    from ingest.pipeline import Ingestor
    from kb.core.sqlite import Database
    from kb.core.testing import formatgen
    from kb.core.testing.fakes import BagOfWordsEmbeddings, InMemoryIndex

    root = tmp_path / "docs"
    (root / "finance").mkdir(parents=True)
    plain = formatgen.write_xlsx(tmp_path / "plain.xlsx", {"Q3": [["Item", "Amount"], ["Bonus pool", 120000]]})
    formatgen.encrypt_office(plain, root / "finance" / "q3.xlsx", "q3-pw")
    formatgen.encrypt_office(plain, root / "locked.xlsx", "other")

    configured = settings.model_copy(update={"passwords": {"finance/*.xlsx": "q3-pw"}})
    index = InMemoryIndex()
    db = Database(configured.db_path)
    report = Ingestor(configured, SqliteManifest(db), [index], index, BagOfWordsEmbeddings()).run([root])
    db.close()
    assert [(f.path, f.code) for f in report.failed] == [("locked.xlsx", "encrypted")]
    assert any("Item: Bonus pool | Amount: 120000" in c.text for c in index.chunks.values())
