"""Followers are told when a dataset they follow changes (the catalog sends dataset_changed inside the
service's transaction, so the messages commit or roll back with the change)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.utils.translation import gettext as _

from kaifang.catalog.signals import dataset_changed

SUBJECTS = {
    "published": lambda title: _("您关注的数据资源“%(title)s”已发布") % {"title": title},
    "updated": lambda title: _("您关注的数据资源“%(title)s”目录信息已更新") % {"title": title},
    "version_published": lambda title: _("您关注的数据资源“%(title)s”发布了新的数据版本") % {"title": title},
    "withdrawn": lambda title: _("您关注的数据资源“%(title)s”已撤回") % {"title": title},
}


@receiver(dataset_changed, dispatch_uid="interaction.followers")
def tell_followers(sender: Any, dataset: Any, change: str, actor: Any = None, **kwargs: Any) -> None:
    from kaifang.accounts.models import User
    from kaifang.catalog.codes import slug_for_code
    from kaifang.catalog.permissions import datasets_visible_to
    from kaifang.notifications.dispatch import notify

    subject = SUBJECTS.get(change)
    if subject is None:
        return
    followers = User.objects.filter(follows__dataset_id=dataset.pk, is_active=True)
    if change == "withdrawn":
        # Every follower saw the entry when they followed it; the message names its title and nothing else.
        notify(
            recipients=followers,
            event="dataset_followed_changed",
            subject=subject(dataset.title),
            body=_("该数据资源已停止对外提供。"),
            exclude=actor,
        )
        return
    notify(
        recipients=followers,
        event="dataset_followed_changed",
        subject=subject(dataset.title),
        url=f"/datasets/{slug_for_code(dataset.code)}/",
        visible=lambda user: datasets_visible_to(user).filter(pk=dataset.pk).exists(),
        exclude=actor,
    )
