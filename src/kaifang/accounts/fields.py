"""A text field whose column holds only the sealed value (see crypto.py); Python code sees the plain text."""

from __future__ import annotations

from typing import Any

from django.db import models

from kaifang.accounts import crypto


class SealedCharField(models.CharField):
    def __init__(self, *args: Any, purpose: str = "", **kwargs: Any) -> None:
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        # Rows written before sealing existed read as they are until migration 0007 seals them.
        if isinstance(value, str) and crypto.is_sealed(value):
            return crypto.unseal(value, self.purpose)
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if isinstance(value, str) and value and not crypto.is_sealed(value):
            return crypto.seal(value, self.purpose)
        return value
