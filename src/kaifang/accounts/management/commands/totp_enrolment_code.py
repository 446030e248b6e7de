"""`kaifang manage totp_enrolment_code <username>`: a one-time code for binding a staff member's first device.

Hand the code to the person by a channel other than the one their password travelled by; it works once,
for that account, until it expires (72 hours unless --hours says otherwise)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Issue a one-time TOTP enrolment code for an account (staff need one to bind their first device)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--hours", type=int, default=72)

    def handle(self, *args: Any, **options: Any) -> None:
        from kaifang.accounts.models import User
        from kaifang.accounts.permissions import COMMAND_LINE
        from kaifang.accounts.services import totp_enrolment_code_issue
        from kaifang.core.errors import DomainError

        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no such user: {options['username']}")
        try:
            code = totp_enrolment_code_issue(actor=COMMAND_LINE, user=user, hours=options["hours"])
        except DomainError as exc:
            raise CommandError(str(exc.details or exc.message)) from exc
        self.stdout.write(code)
