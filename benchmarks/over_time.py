"""Requests and CPU per run over two simulated days, with and without revisits.

The living NU.nl of the tests (tests/livingsite.py: 48 hourly crawls, a burst, edits dated and
silent, withdrawals), with and without its news sitemap, each crawled once with the revisit
schedule (REVISIT_AFTER_HOURS, the default) and once without (REVISIT_AFTER_HOURS=[]): only what
discovery lists again is requested again. Per variant: requests, full downloads and 304s per
run (the site's own log), CPU seconds per run (the crawl process), and what the dataset holds
of the site's edits and withdrawals.

    .venv/bin/python benchmarks/over_time.py [--hours 48]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "tests"))
from livingsite import judge  # noqa: E402


def run(out: Path, variant: str, hours: int, *settings: str) -> dict:
    command = [sys.executable, str(PROJECT / "tests" / "livingsite.py"), str(out), "--variant", variant]
    command += ["--hours", str(hours), *(arg for s in settings for arg in ("-s", s))]
    subprocess.run(command, cwd=PROJECT, check=True, capture_output=True, timeout=1800)
    return judge(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=int, default=48)
    hours = parser.parse_args().hours
    print(f"{hours} hourly crawls of the living NU.nl; per run: mean requests, full downloads, 304s, CPU seconds")
    print(
        "variant  revisits  requests/run  full/run  304/run  cpu s/run  cpu s total  edits caught (silent)  withdrawals  missing"
    )
    with tempfile.TemporaryDirectory() as work:
        for variant in ("sitemap", "plain"):
            for label, settings in (("on", ()), ("off", ("REVISIT_AFTER_HOURS=[]",))):
                v = run(Path(work) / f"{variant}-{label}", variant, hours, *settings)
                runs = hours
                full = v["requests"] - v["notModified"]
                print(
                    f"{variant:8} {label:8} {v['requests'] / runs:12.1f} {full / runs:9.1f} {v['notModified'] / runs:8.1f} "
                    f"{v['cpuSeconds'] / runs:10.3f} {v['cpuSeconds']:12.2f}  "
                    f"{v['editsCaughtWithin24h']:>3}/{v['edits']} ({v['silentEditsCaught']}/{v['silentEdits']}) "
                    f"{v['withdrawalsRecordedOnce']:>8}/{v['withdrawn']} {len(v['missing']):>8}"
                )
                print(
                    "  "
                    + json.dumps({k: v[k] for k in ("articleFullDownloads", "maxFullDownloadsPerVersion", "lines")})
                )


if __name__ == "__main__":
    main()
