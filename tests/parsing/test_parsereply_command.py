"""`manage.py parsereply`: JSON lines, the readable summary, and per-file failures."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from replies.parsing import CONTRACT_KEYS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "replies"
SOURCES = sorted(path for path in FIXTURES.iterdir() if path.suffix in {".txt", ".html", ".docx"})


def run_command(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command in a fresh process whose database URL points nowhere, so any
    attempt to connect would fail loudly."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "archive.settings.test",
        "DATABASE_URL": "postgresql://nobody:nothing@127.0.0.1:9/none",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "parsereply", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_json_mode_prints_one_contract_object_per_line() -> None:
    result = run_command(*(str(path) for path in SOURCES), "--json")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().split("\n")
    assert len(lines) == len(SOURCES)
    for line in lines:
        contract = json.loads(line)
        assert list(contract) == [*CONTRACT_KEYS, "warnings", "encoding"]
    first = json.loads(lines[[p.name for p in SOURCES].index("000_81af6d2964a35163.txt")])
    assert first["title"] == "重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函"
    assert "李洁" in lines[0] or "李洁" in result.stdout  # ensure_ascii=False: CJK as is


def test_json_mode_in_process_matches_to_contract() -> None:
    from replies.parsing import parse_document

    source = FIXTURES / "most-2024-03105.txt"
    out = io.StringIO()
    call_command("parsereply", str(source), "--json", stdout=out)
    printed = out.getvalue().strip()
    assert "\n" not in printed
    assert json.loads(printed) == parse_document(source.read_bytes(), source.name).to_contract()


def test_readable_mode_summarises_fields_counts_and_encoding() -> None:
    out = io.StringIO()
    call_command("parsereply", str(FIXTURES / "000_81af6d2964a35163.txt"), stdout=out)
    text = out.getvalue()
    assert "000_81af6d2964a35163.txt" in text
    assert "utf-8" in text
    assert "明炬" in text
    assert "承诺 commitments: 4" in text
    assert "打造孵化集群，树立示范标杆" in text
    assert "警告 warnings: 0" in text


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.txt", b""), ("garbage.bin", bytes(range(256)) * 40), ("ascii.txt", b"no chinese")],
)
def test_unreadable_file_reports_one_line_and_exit_status_one(
    tmp_path: Path, name: str, content: bytes
) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    good = FIXTURES / "most-2024-03105.txt"
    result = run_command(str(bad), str(good), "--json")
    assert result.returncode == 1
    error_lines = result.stderr.strip().split("\n")
    assert len(error_lines) == 1
    assert error_lines[0].startswith(f"parsereply: {bad}: ")
    stdout_lines = result.stdout.strip().split("\n")
    assert len(stdout_lines) == 1
    assert json.loads(stdout_lines[0])["proposer_org"] == "民进中央"


def test_missing_file_is_reported_and_others_still_print(tmp_path: Path) -> None:
    missing = tmp_path / "nope.html"
    result = run_command(str(FIXTURES / "cq-jw-2024-00213.html"), str(missing))
    assert result.returncode == 1
    assert result.stderr.strip() == f"parsereply: {missing}: No such file or directory"
    assert "王建国" in result.stdout
