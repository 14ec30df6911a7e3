"""README's settings table and .env.example are written from Settings and kept current."""

from __future__ import annotations

from kb.core import settings_docs
from kb.core.config import Settings
from tests.conftest import REPO


def test_env_example_is_current():
    assert (REPO / ".env.example").read_text("utf-8") == settings_docs.env_example(), \
        "run: python -m kb.core.settings_docs"


def test_readme_table_is_current():
    text = (REPO / "README.md").read_text("utf-8")
    assert settings_docs.readme(text) == text, "run: python -m kb.core.settings_docs"


def test_every_setting_has_a_section_and_a_description():
    sections = settings_docs.sections()
    assert list(sections) == list(Settings.model_fields)
    assert all(Settings.model_fields[n].description for n in sections)


def test_env_example_values_are_the_defaults(tmp_path):
    """Loaded as a .env file it gives exactly the default settings."""
    example = tmp_path / "example.env"
    example.write_text((REPO / ".env.example").read_text("utf-8"), "utf-8")
    assert Settings(_env_file=example).model_dump() == Settings(_env_file=None).model_dump()
