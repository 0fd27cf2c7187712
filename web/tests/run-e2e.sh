#!/usr/bin/env bash
# Run the browser end-to-end tests (and optionally save screenshots) against a
# running verbatim server.
#
#   VERBATIM_URL=http://127.0.0.1:8080 \
#   VERBATIM_E2E_FIXTURE=/tmp/e2e-fixture.json \
#   web/tests/run-e2e.sh [SCREENSHOT_DIR]
#
# Installs what it needs: Debian's chromium (when missing and running as root)
# and playwright-core from package-lock.json. Never downloads a browser build.
set -euo pipefail
cd "$(dirname "$0")"

: "${VERBATIM_URL:?set VERBATIM_URL to the running server, e.g. http://127.0.0.1:8080}"
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM_PATH" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "run-e2e: installing chromium (Debian package)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "run-e2e: no chromium at $CHROMIUM_PATH; install it with: apt-get install -y chromium" >&2
    exit 1
  fi
fi

if [ ! -d node_modules/playwright-core ]; then
  npm install --no-audit --no-fund --loglevel=error
fi

node --test --test-concurrency=1 e2e.test.mjs e2e-canned.test.mjs e2e-trace-view.test.mjs

if [ -n "${1:-}" ]; then
  node screenshots.mjs "$1"
fi
