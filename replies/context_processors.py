"""Template context every page gets."""

from __future__ import annotations

from django.http import HttpRequest

from .dataset import Snapshot, list_snapshots


def latest_dataset(request: HttpRequest) -> dict[str, Snapshot | None]:
    """The newest open-data snapshot, for the footer link; None until one is dumped.

    One directory scan per page: snapshots are few, and a cache would hide a new one."""
    snapshots = list_snapshots()
    return {"latest_dataset": snapshots[0] if snapshots else None}
