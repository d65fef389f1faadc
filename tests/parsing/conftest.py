"""Parser tests need no database: nothing here touches the ORM."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "replies"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
