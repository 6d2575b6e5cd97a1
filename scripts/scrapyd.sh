#!/usr/bin/env bash
# Start Scrapyd for this project on 127.0.0.1:6800 with HTTP basic auth, in var/scrapyd/.
# Its Python environment is the project's .venv (the project's dependencies + scrapyd, setuptools<81).
#   SCRAPYD_USERNAME (default newscrawl) and SCRAPYD_PASSWORD (required) set the credentials.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SCRAPYD_PASSWORD:?set SCRAPYD_PASSWORD (and optionally SCRAPYD_USERNAME) first}"
bash scripts/bootstrap.sh
mkdir -p var/scrapyd
sed -e "s/^username .*/username      = ${SCRAPYD_USERNAME:-newscrawl}/" \
    -e "s/^password .*/password      = ${SCRAPYD_PASSWORD}/" deploy/scrapyd.conf > var/scrapyd/scrapyd.conf
chmod 600 var/scrapyd/scrapyd.conf
cd var/scrapyd
exec ../../.venv/bin/scrapyd --pidfile= --logfile=-
