#!/usr/bin/env bash
# Start Scrapyd for this project on 127.0.0.1:6800 with HTTP basic auth, in var/scrapyd/.
# Its Python environment is the project's .venv (the project's dependencies + scrapyd, setuptools<81).
#   SCRAPYD_USERNAME (default newscrawl) and SCRAPYD_PASSWORD (required) set the credentials.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SCRAPYD_PASSWORD:?set SCRAPYD_PASSWORD (and optionally SCRAPYD_USERNAME) first}"
bash scripts/bootstrap.sh
mkdir -p var/scrapyd
# The password is never written anywhere: Scrapyd reads SCRAPYD_USERNAME/SCRAPYD_PASSWORD from its
# environment, so any characters work (quotes, &, /, \, spaces).
export SCRAPYD_USERNAME="${SCRAPYD_USERNAME:-newscrawl}" SCRAPYD_PASSWORD
cp deploy/scrapyd.conf var/scrapyd/scrapyd.conf
cd var/scrapyd
exec ../../.venv/bin/scrapyd --pidfile= --logfile=-
