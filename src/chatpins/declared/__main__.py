"""``python -m chatpins.declared``: write ``declared_state.schema.json`` from the models (run
after changing ``schema.py``; a unit test fails while the shipped file differs)."""

from __future__ import annotations

from chatpins.declared import SCHEMA_PATH
from chatpins.declared.schema import schema_text

if __name__ == "__main__":
    SCHEMA_PATH.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
