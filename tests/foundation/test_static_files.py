"""Production static files: collectstatic with whitenoise's compressed manifest succeeds on the vendored assets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_collectstatic_with_the_production_manifest_succeeds(tmp_path, settings):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(DEBUG="false", STATIC_ROOT=str(tmp_path), REDIS_URL=settings.REDIS_URL)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # a vendored file that names a missing source map breaks the manifest post-processing
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in (
        "vendor/bootstrap-5.3.8/bootstrap.min.css",
        "vendor/bootstrap-5.3.8/bootstrap.bundle.min.js",
        "vendor/htmx-2.0.7/htmx.min.js",
        "vendor/echarts-5.6.0/echarts.min.js",
        "img/favicon.svg",
    ):
        hashed = manifest[name]
        assert hashed != name and (tmp_path / hashed).exists()
        assert (tmp_path / (hashed + ".gz")).exists() or name.endswith(".svg")
