"""Periodic delivery of queued mail and digests (run by `kaifang worker`, once across workers)."""

import datetime

from kaifang.core.periodic import periodic
from kaifang.notifications import mail


@periodic("notifications.deliver_mail", every=datetime.timedelta(minutes=1))
def deliver_mail() -> object:
    return mail.deliver_pending()


@periodic("notifications.daily_digest", every=datetime.timedelta(days=1))
def daily_digest() -> object:
    return mail.send_digests()
