from tests.conftest import REPO


def test_readme_starts_with_the_two_setup_commands():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert [ln.strip() for ln in lines[:2]] == ["make run", "make test"]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
