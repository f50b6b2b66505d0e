"""The Swagger UI assets served at /docs are the vendored swagger-ui-dist files, unchanged, with
their licence, and the wheel carries them."""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SWAGGER = REPO_ROOT / "src" / "chatpins" / "static" / "swagger"

# swagger-ui-dist 5.35.0 from the npm registry (static/swagger/SOURCE.txt says how to update).
DIGESTS = {
    "swagger-ui-bundle.js": "e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2",
    "swagger-ui.css": "5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d",
    "favicon-32x32.png": "3ed612f41e050ca5e7000cad6f1cbe7e7da39f65fca99c02e99e6591056e5837",
}


@pytest.mark.parametrize("name", sorted(DIGESTS))
def test_each_asset_is_the_pinned_file(name: str) -> None:
    assert hashlib.sha256((SWAGGER / name).read_bytes()).hexdigest() == DIGESTS[name]


def test_the_licence_and_notices_are_alongside() -> None:
    assert "Apache License" in (SWAGGER / "LICENSE").read_text()
    assert "SmartBear" in (SWAGGER / "NOTICE").read_text()
    assert (SWAGGER / "swagger-ui-bundle.js.LICENSE.txt").stat().st_size > 0


def test_the_wheel_carries_the_assets() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert "static/swagger/*" in pyproject["tool"]["setuptools"]["package-data"]["chatpins"]


def test_the_project_has_the_licence_its_metadata_names() -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == {"text": "MIT"}
    text = (REPO_ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "the chatpins authors" in text
