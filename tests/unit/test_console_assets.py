"""The console's htmx is the vendored htmx.org file, unchanged, with its licence, and the wheel
carries it with the console's templates (no CDN, no build step at run time)."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = REPO_ROOT / "src" / "chatpins"
CONSOLE_STATIC = PACKAGE / "static" / "console"

# htmx.org 2.0.11 from the npm registry, dist/htmx.min.js (static/console/SOURCE.txt says how
# to update).
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"


def test_htmx_is_the_pinned_release() -> None:
    digest = hashlib.sha256((CONSOLE_STATIC / "htmx.min.js").read_bytes()).hexdigest()
    assert digest == HTMX_SHA256


def test_htmx_licence_is_alongside() -> None:
    assert "Zero-Clause BSD" in (CONSOLE_STATIC / "htmx.LICENSE").read_text()


def test_the_wheel_carries_the_console() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    data = pyproject["tool"]["setuptools"]["package-data"]["chatpins"]
    assert "static/console/*" in data
    assert "api/console/templates/*.html" in data
    assert any((PACKAGE / "api" / "console" / "templates").glob("*.html"))


def test_no_page_loads_anything_from_elsewhere() -> None:
    for template in (PACKAGE / "api" / "console" / "templates").glob("*.html"):
        text = template.read_text()
        assert "http://" not in text and "https://" not in text, template.name
