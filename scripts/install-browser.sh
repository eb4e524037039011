#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver from Debian's packages, when
# missing: the docs site is checked in a real browser (tests/test_docs_site.py).
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: chromium and chromedriver are missing; install them (apt-get) to check the docs in a browser" >&2
    exit 0
fi
echo "install-browser: installing chromium chromium-driver" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || true
apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
