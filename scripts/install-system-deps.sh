#!/usr/bin/env bash
# Debian packages the project needs beyond Python: chromium (JS-rendered listings via scrapy-playwright).
# Installs them when missing and running as root; otherwise says what to install.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium (for JavaScript-rendered pages)…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
    echo "Note: chromium is not installed; the rendering tests are skipped. Install it with: sudo apt-get install chromium" >&2
fi
