"""The base of every native request body: strict types, no unknown keys, storable text."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from chatpins.intake import Unreadable, check_value


class Strict(BaseModel):
    # No coercion: "3" is not a number, 1 is not a string.
    model_config = ConfigDict(strict=True, extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        """The dialects' rule for bodies (``chatpins.intake``): text every backend can store
        and render back (PostgreSQL refuses NUL), nested within the depth cap."""
        try:
            check_value(data)
        except Unreadable as exc:
            raise ValueError(exc.message) from exc
        return data
