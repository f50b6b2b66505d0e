"""Declared state as files: the format (``schema``, and ``declared_state.schema.json`` made
from it), reading and writing YAML or JSON (``files``), and the translation to and from core's
declaration (``convert``). An adapter, as a dialect is: core applies the declaration."""

from __future__ import annotations

from pathlib import Path

SCHEMA_PATH = Path(__file__).with_name("declared_state.schema.json")
