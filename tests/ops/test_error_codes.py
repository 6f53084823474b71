"""Every problem code the service can answer is documented in docs/errors.md."""

from pathlib import Path

import app.main  # noqa: F401  (registers every domain's error types)
from app.core.errors import ERRORS

DOC = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def test_every_code_is_documented() -> None:
    text = DOC.read_text()
    missing = sorted(code for code in ERRORS if f"`{code}`" not in text)
    assert not missing, f"docs/errors.md does not mention: {missing}"


def test_codes_are_stable_snake_case() -> None:
    bad = [code for code in ERRORS if not code.replace("_", "").isalpha() or code != code.lower()]
    assert not bad
