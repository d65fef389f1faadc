import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_check_deploy(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "archive.settings.production",
        "SECRET_KEY": "k7#2vQ9!mZr$Lw4pXe8&Tb1@Ny6^Hc3*Ju5(Gd0)Fa-Ks+Oq=Ri_Uo{Pl}Ei[Wt]Ym",
        "ALLOWED_HOSTS": "archive.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "archive.settings.production"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
