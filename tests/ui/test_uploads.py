"""Uploads from the page (findings 2 and 15 of issue 15): no rule file, no hostile name, no
traceback; and every relabel a re-ingest makes is reported in the Library summary."""

from __future__ import annotations

import pytest

from kb.app import uploads
from kb.core.config import Settings
from kb.core.errors import UploadRefused
from tests.ui.conftest import page
from tests.ui.test_pages import OWNER, texts

RULES = b'rules:\n  - path: "**"\n    groups: [public]\n'


def test_uploads_stay_inside_the_root(tmp_path):
    s = Settings(home=tmp_path / "home")
    assert uploads.target_folder(str(tmp_path), "new/sub", s) == tmp_path / "new" / "sub"
    assert uploads.target_folder(str(tmp_path), "", s) == tmp_path
    with pytest.raises(UploadRefused, match="inside"):
        uploads.target_folder(str(tmp_path), "../../etc", s)


@pytest.mark.parametrize("name", ["acl.yaml", "ACL.YAML", "acl.yml", "Acl.Yml", "acl.yaml.",
                                  "access.YML"])
def test_rule_files_cannot_be_uploaded_in_any_case(tmp_path, name):
    """An upload named acl.yaml replaced the access rules (and made HR documents public)."""
    s = Settings(home=tmp_path / "home", acl_file="policy/access.yml")
    (tmp_path / "hr").mkdir()
    result = uploads.save(str(tmp_path), "hr", [(name, RULES)], s)
    assert result.written == () and [e.code for e in result.refused] == ["rule_file"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["hr"]


def test_a_rule_file_name_is_no_sub_folder_either(tmp_path):
    """The sub-folder `acl.yaml/` would put a folder where the rules belong."""
    with pytest.raises(UploadRefused) as exc:
        uploads.save(str(tmp_path), "hr/ACL.yaml", [("x.md", b"x")], Settings(home=tmp_path))
    assert exc.value.code == "bad_folder" and not (tmp_path / "hr").exists()


HOSTILE = {"..": "bad_name", ".": "bad_name", "": "bad_name", "a/../../x.md": "bad_name",
           "..\\x.md": "bad_name", "x\x00y.md": "bad_name", "line\nbreak.md": "bad_name",
           "人" * 86 + ".md": "name_too_long", "a" * 252 + ".txt": "name_too_long"}


def test_hostile_names_are_refused_with_a_sentence_and_no_server_path(tmp_path):
    """`..` and names over 255 bytes crashed the Library page with a traceback of server
    paths."""
    root = tmp_path / "root"
    root.mkdir()
    files = [(name, b"x") for name in HOSTILE] + [("ok 人事.md", b"# ok\n\nfine.\n")]
    result = uploads.save(str(root), "", files, Settings(home=tmp_path / "home"))
    assert [p.name for p in result.written] == ["ok 人事.md"]
    assert {e.name: e.code for e in result.refused} == HOSTILE
    assert all(str(tmp_path) not in e.message for e in result.refused)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["ok 人事.md", "root"]


def test_an_upload_never_writes_through_a_link(tmp_path):
    """A link in the folder named like the upload would have been followed out of the root."""
    root, outside = tmp_path / "root", tmp_path / "outside.txt"
    root.mkdir()
    outside.write_text("keep")
    (root / "note.md").symlink_to(outside)
    result = uploads.save(str(root), "", [("note.md", b"overwritten")], Settings(home=tmp_path))
    assert [e.code for e in result.refused] == ["not_a_file"] and outside.read_text() == "keep"


def _upload(at, name: str, data: bytes, sub: str = ""):
    at.file_uploader(key="kb-up-0").upload(name, data, "text/plain").run()
    at.text_input(key="kb-up-sub-0").input(sub).run()
    return at.button(key="kb-up-go-0").click().run()


def test_the_library_page_refuses_a_rule_file_upload(page_env, samples):
    """Uploading acl.yaml and re-ingesting made the HR document public."""
    app = page_env("header", headers=OWNER)
    rules = (samples / "acl.yaml").read_bytes()
    at = page()
    at.switch_page("screens/library.py").run()
    at = _upload(at, "ACL.yaml", RULES)
    assert not at.exception and "access rule files cannot be uploaded" in texts(at)
    assert (samples / "acl.yaml").read_bytes() == rules
    at = at.button(key="kb-reingest-0").click().run()
    hr = [d for d in app.manifest.docs() if d.path == "hr/salary_bands.md"]
    assert [d.acl for d in hr] == [frozenset({"group:hr"})]


def test_the_library_page_explains_hostile_names(page_env, samples):
    """A `..` or 300-byte name showed a traceback with the server's paths."""
    page_env("header", headers=OWNER)
    at = page()
    at.switch_page("screens/library.py").run()
    for name, words in (("..", "not a plain file name"), ("人" * 100 + ".md", "255 bytes")):
        at = _upload(at, name, b"x")
        assert not at.exception and words in texts(at)
        assert str(samples) not in texts(at).replace(samples.name, "")


def test_every_relabel_is_reported_in_the_summary(page_env, samples):
    """A re-ingest that changed who may read a document did not say so."""
    page_env("header", headers=OWNER)
    at = page()
    at.switch_page("screens/library.py").run()
    (samples / "acl.yaml").write_text('rules:\n  - path: "hr/**"\n    groups: [hr, finance]\n')
    (samples / "hr" / "salary_bands.md").write_text("# Salary bands\n\nL3 earns 5000.\n")
    at = at.button(key="kb-reingest-0").click().run()
    assert not at.exception
    summary = "\n".join(s.value for s in at.success).replace("\\", "")  # as Markdown shows it
    assert "1 updated" in summary and "Access changed for 1 document(s)" in summary
    assert "hr/salary_bands.md (hr → finance, hr)" in summary


def test_the_library_page_does_not_delete_a_rule_file(page_env, samples):
    """A rule file the ingest lists as a (failed) document, such as ACL.yml, could be deleted
    from disk through "Remove a document"."""
    page_env("header", headers=OWNER)
    (samples / "ACL.yml").write_text('rules:\n  - path: "**"\n    groups: [public]\n')
    at = page()
    at.switch_page("screens/library.py").run()
    at = at.button(key="kb-reingest-0").click().run()
    assert "ACL.yml" in at.selectbox(key="kb-rm-pick-0").options
    at.selectbox(key="kb-rm-pick-0").select("ACL.yml").run()
    at.checkbox(key="kb-rm-disk-0").check().run()
    at = at.button(key="kb-rm-go-0").click().run()
    assert not at.exception and "access rule files" in texts(at)
    assert (samples / "ACL.yml").is_file()
