#!/usr/bin/env bash
# Fuzzes a running verbatim server against its own OpenAPI document with schemathesis
# (issue 4, must-show 2): every check (server errors, status codes, content types, response
# schemas, headers, acceptance of valid and rejection of invalid input), all phases.
#
#   benches/api/run_schemathesis.sh INDEX_DIR [MAX_EXAMPLES] [OUT_DIR]
#
# Needs schemathesis from PyPI: python3 -m venv /tmp/st && /tmp/st/bin/pip install schemathesis
# (set SCHEMATHESIS=/tmp/st/bin/schemathesis). Writes a JUnit report and the full log to OUT_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
INDEX=${1:?usage: run_schemathesis.sh INDEX_DIR [MAX_EXAMPLES] [OUT_DIR]}
MAX_EXAMPLES=${2:-100}
OUT=${3:-target/schemathesis}
ST=${SCHEMATHESIS:-schemathesis}
BIN=target/release/verbatim
command -v "$ST" >/dev/null || { echo "schemathesis not found: pip install schemathesis (or set SCHEMATHESIS)" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release --locked
mkdir -p "$OUT"

log=$(mktemp)
"$BIN" serve --index "$INDEX" --addr 127.0.0.1:0 2>"$log" &
server=$!
trap 'kill $server 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 600); do
  url=$(grep -o 'http://[0-9.:]*' "$log" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$log" >&2; echo "the server did not start" >&2; exit 1; }

echo "schemathesis $("$ST" --version | awk '{print $NF}') against $url ($INDEX), max-examples $MAX_EXAMPLES"
status=0
"$ST" --config-file benches/api/schemathesis.toml run "$url/api/v1/openapi.json" \
  --checks all --workers 2 --max-examples "$MAX_EXAMPLES" \
  --report junit --report-dir "$OUT" 2>&1 | tee "$OUT/schemathesis.log" || status=$?

# The server's own count of answers by status: proof that no request got a 5xx.
echo "server responses by status:"
curl -s "$url/metrics" | grep -E '^verbatim_requests_total' | sort || true
exit $status
