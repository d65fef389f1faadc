"""python manage.py createclerk USERNAME — a staff login in the `clerk` group.

Clerks upload, correct and publish replies in the admin; they cannot delete replies or manage
users. Running the command again for an existing user makes that user a clerk (and sets the
password only when one is given).
"""

from __future__ import annotations

import getpass
import sys
from typing import TextIO

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from replies.clerks import sync_clerk_group


class Command(BaseCommand):
    help = "Create a clerk: a staff user in the clerk group (upload, review, publish replies)."
    # Tests (and callers of call_command) hand the password over as a stream, like
    # createsuperuser's stdin option.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-from-stdin",
            action="store_true",
            help="read the password from the first line of standard input (for scripts)",
        )

    def handle(self, *args, username: str, email: str, password_from_stdin: bool, **options):
        User = get_user_model()
        existing = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
        stdin = options.get("stdin") or sys.stdin
        password = self._password(stdin, password_from_stdin, needed=existing is None)
        user = existing or User(**{User.USERNAME_FIELD: username}, email=email)
        if password is not None:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                raise CommandError(
                    "密码不符合要求 (password rejected): " + " ".join(exc.messages)
                ) from exc
            user.set_password(password)
        user.is_staff = True
        with transaction.atomic():
            user.save()
            # The group comes from a migration; re-syncing repairs it if someone edited it.
            group = sync_clerk_group(Group, Permission)
            user.groups.add(group)
        verb = "updated" if existing else "created"
        self.stdout.write(self.style.SUCCESS(f"clerk {username} {verb}"))

    def _password(self, stdin: TextIO, from_stdin: bool, *, needed: bool) -> str | None:
        if from_stdin:
            password = stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("标准输入中没有密码 (no password on standard input)")
            return password
        if not stdin.isatty():
            if needed:
                raise CommandError(
                    "需要密码：请在终端中运行，或使用 --password-from-stdin "
                    "(a password is needed: run in a terminal or use --password-from-stdin)"
                )
            return None
        if not needed:
            return None
        first = getpass.getpass("密码 (password): ")
        second = getpass.getpass("再次输入密码 (password again): ")
        if first != second:
            raise CommandError("两次输入的密码不一致 (passwords differ)")
        if not first:
            raise CommandError("密码不能为空 (empty password)")
        return first
