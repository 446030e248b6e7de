"""The events a notification can be about: a short name (stored with each message and each preference) and a
Chinese label the preferences page shows. Other apps import the constants; a new kind of event is one line
here.

`staff` events are work for government staff (a case to decide, a version to review): their e-mail goes out
at once by default. The others (an applicant's or a follower's news) default to one daily digest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

ACCESS_APPLICATION_RECEIVED = "access_application_received"
ACCESS_INFO_REQUESTED = "access_info_requested"
ACCESS_DECIDED = "access_decided"
ACCESS_GRANT_EXPIRING = "access_grant_expiring"
ACCESS_REPORT_OVERDUE = "access_report_overdue"
DATASET_RETURNED = "dataset_returned"
VERSION_AWAITING_REVIEW = "version_awaiting_review"
WORKORDER_ASSIGNED = "workorder_assigned"
WORKORDER_DUE = "workorder_due"
WORKORDER_OVERDUE = "workorder_overdue"
WORKORDER_ANSWERED = "workorder_answered"
DATASET_FOLLOWED_CHANGED = "dataset_followed_changed"
COMMENT_RECEIVED = "comment_received"
COMMENT_REPLIED = "comment_replied"


@dataclass(frozen=True)
class Event:
    name: str
    label: Any
    staff: bool


EVENTS: dict[str, Event] = {
    e.name: e
    for e in (
        Event(ACCESS_APPLICATION_RECEIVED, _("收到数据使用申请"), staff=True),
        Event(ACCESS_INFO_REQUESTED, _("申请需要补充材料"), staff=False),
        Event(ACCESS_DECIDED, _("申请审核结果"), staff=False),
        Event(ACCESS_GRANT_EXPIRING, _("数据使用授权即将到期"), staff=False),
        Event(ACCESS_REPORT_OVERDUE, _("数据利用报告逾期"), staff=False),
        Event(DATASET_RETURNED, _("数据资源被退回"), staff=True),
        Event(VERSION_AWAITING_REVIEW, _("数据版本待审核发布"), staff=True),
        Event(WORKORDER_ASSIGNED, _("收到工单"), staff=True),
        Event(WORKORDER_DUE, _("工单即将到期"), staff=True),
        Event(WORKORDER_OVERDUE, _("工单已逾期"), staff=True),
        Event(WORKORDER_ANSWERED, _("工单已答复"), staff=False),
        Event(DATASET_FOLLOWED_CHANGED, _("关注的数据资源有更新"), staff=False),
        Event(COMMENT_RECEIVED, _("本部门数据资源收到评论"), staff=True),
        Event(COMMENT_REPLIED, _("评论收到部门回复"), staff=False),
    )
}


def label_of(name: str) -> Any:
    event = EVENTS.get(name)
    return event.label if event else name
