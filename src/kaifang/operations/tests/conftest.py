import datetime
from typing import Any

import pytest
from django.utils import timezone

from kaifang.core import clock


def moment(year: int, month: int, day: int, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, hour))


@pytest.fixture
def open_order(personas: dict[str, Any]) -> Any:
    """Open a work order as a persona (the citizen by default), at a given day if asked."""
    from kaifang.operations.services import work_order_open

    def make(requester: str = "citizen", when: datetime.datetime | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("kind", "consultation")
        kwargs.setdefault("title", "公交数据更新频率咨询")
        kwargs.setdefault("body", "请问公交站点数据多久更新一次？")
        if when is None:
            return work_order_open(actor=personas[requester], **kwargs)
        with clock.at(when):
            return work_order_open(actor=personas[requester], **kwargs)

    return make
