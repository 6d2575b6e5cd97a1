#!/usr/bin/env bash
# Create .venv and install the project with its test extras; does nothing when already up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
# A .venv left without pip (an earlier attempt without python3-venv, never stamped) is made again.
if [ ! -f "$stamp" ] && [ -x .venv/bin/python ] && ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
    # Debian's python3 comes without venv's ensurepip: python3-venv brings it.
    if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "Installing Debian's python3-venv (venv needs it)…"
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        else
            echo "bootstrap: $PYTHON cannot make a virtual environment: install python3-venv (sudo apt-get install python3-venv), then run this again" >&2
            exit 1
        fi
    fi
    "$PYTHON" -m venv .venv
fi
if [ ! -f "$stamp" ]; then
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    # -qq: errors only (a mirror's notices would bury the demo's own lines); a failure still prints why
    .venv/bin/python -m pip install -qq --upgrade pip
    .venv/bin/python -m pip install -qq -e '.[test]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi
