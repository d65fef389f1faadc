"""The `clerk` group: the people who keep the archive current through the admin.

Clerks upload, correct and publish replies and look after agency aliases. They cannot delete
replies (withdrawing keeps the record), and hold no permission from `auth`, so user accounts
and permissions stay with superusers.
"""

from __future__ import annotations

from typing import Any

CLERK_GROUP = "clerk"

#: (model name, actions) for the `replies` app.
CLERK_PERMISSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("reply", ("view", "add", "change")),
    ("source", ("view",)),
    ("changerecord", ("view",)),
    ("agencyalias", ("view", "add", "change", "delete")),
    ("agency", ("view", "change")),
    ("member", ("view",)),
    ("session", ("view",)),
    ("proposal", ("view",)),
    ("theme", ("view",)),
    ("genre", ("view",)),
    ("pendingupload", ("view", "add", "change", "delete")),
)


def clerk_codenames() -> list[str]:
    return [f"{action}_{model}" for model, actions in CLERK_PERMISSIONS for action in actions]


def sync_clerk_group(group_model: Any, permission_model: Any) -> Any:
    """Create the group if needed and give it exactly the clerk permissions.

    Takes the models as arguments so a data migration can pass its historical ones.
    """
    group, _ = group_model.objects.get_or_create(name=CLERK_GROUP)
    wanted = clerk_codenames()
    permissions = list(
        permission_model.objects.filter(content_type__app_label="replies", codename__in=wanted)
    )
    missing = set(wanted) - {permission.codename for permission in permissions}
    if missing:
        raise RuntimeError(f"permissions not created yet: {', '.join(sorted(missing))}")
    group.permissions.set(permissions)
    return group
