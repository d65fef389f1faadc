"""Settings for benchmark runs: the app's base settings on the benchmark database.

`benchmarks/run.py` puts the database (a Django DATABASES entry, as JSON) in
`BENCH_DATABASE` before Django starts, for itself and for the gunicorn it launches, so both
use the same `archive_bench` database and never the developer's `archive`.
"""

import json
import os

from archive.settings.base import *  # noqa: F403

# DEBUG off: with it on, Django keeps every query in memory (100k ingests = gigabytes) and
# pages would render debug machinery nobody serves in production.
DEBUG = False
SECRET_KEY = "benchmark-only-insecure-key"  # a loopback-only benchmark server
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {"default": json.loads(os.environ["BENCH_DATABASE"])}
