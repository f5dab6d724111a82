#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver from Debian's packages, for tests/docs/docs_browser_test.py.
# Idempotent; needs root (or sudo) and apt-get. Usage: bash scripts/install_browser.sh
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
