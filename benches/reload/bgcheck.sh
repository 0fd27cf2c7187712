#!/bin/sh
# Serves INDEX with `--verify background` and prints how long the server's check took (its
# own figure, from /health) and the wall time until /health reported it.
# Usage: benches/reload/bgcheck.sh BINARY INDEX PORT
set -eu
B=$1; INDEX=$2; P=$3
"$B" serve --index "$INDEX" --addr "127.0.0.1:$P" --verify background > "bgcheck-$P.log" 2>&1 &
S=$!
start=$(date +%s.%N)
while true; do
  h=$(curl -s "127.0.0.1:$P/health" || true)
  case "$h" in *passed*|*failed*) break;; esac
  sleep 0.2
done
end=$(date +%s.%N)
echo "$h" | python3 -c "import json,sys;print(json.load(sys.stdin)['verification'])"
echo "wall from start: $(echo "$end - $start" | bc) s"
kill $S; wait $S 2>/dev/null || true
