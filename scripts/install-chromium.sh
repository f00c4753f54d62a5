#!/usr/bin/env bash
# Installs Debian's Chromium for the Playwright suite (Playwright's own browser
# download cannot work on this network). Idempotent; needs root (CI is root).
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
command -v apt-get >/dev/null || { echo "the browser tests need /usr/bin/chromium (Debian's chromium package)" >&2; exit 1; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "installing Debian's chromium for the browser tests ..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
/usr/bin/chromium --version
