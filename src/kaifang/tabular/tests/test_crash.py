"""A process killed with SIGKILL in the middle of an ingest leaves no half version and the old one served."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kaifang.catalog.codes import slug_for_code
from kaifang.tabular.models import TableVersion

SCRIPT = """
import sys, django
django.setup()
from pathlib import Path
from kaifang.tabular.ingest import FieldSpec, run_ingest
fields = [FieldSpec("编号", "C", 16, True), FieldSpec("名称", "C", 64), FieldSpec("数量", "N")]
run_ingest(Path(sys.argv[1]), "big.csv", fields)
print("finished")
"""


def test_sigkill_mid_ingest(published, client, home, tmp_path):
    store = Path(home) / "store"
    objects_before = sorted(p.name for p in (store / "objects").rglob("*.parquet"))
    big = tmp_path / "big.csv"
    with open(big, "w", encoding="gbk") as fh:
        fh.write("编号,名称,数量\n")
        for i in range(400_000):
            fh.write(f"K{i:07d},咸宁市第{i}号单位名称较长以便写入需要一点时间,{i}.5\n")
    env = {**os.environ, "KAIFANG_HOME": str(home), "DJANGO_SETTINGS_MODULE": "kaifang.config.settings"}
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(big)], env=env, stdout=subprocess.PIPE)
    deadline = time.monotonic() + 60
    killed_while_writing = False
    while time.monotonic() < deadline and proc.poll() is None:
        temps = list((store / "tmp").glob("*.parquet"))
        if temps or list((store / "tmp").glob("work-*/utf8.txt")):
            killed_while_writing = True
            break
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert killed_while_writing and proc.returncode == -signal.SIGKILL
    # No new object under a real key, no new version row; the published version still serves.
    assert sorted(p.name for p in (store / "objects").rglob("*.parquet")) == objects_before
    assert TableVersion.objects.filter(dataset=published).count() == 1
    r = client.get(f"/api/v1/datasets/{slug_for_code(published.code)}/data")
    assert r.status_code == 200 and r.json()["total"] == 4
