"""The interaction API v1 (one ninja Router)."""

from ninja import Router

router = Router(tags=["interaction"])
