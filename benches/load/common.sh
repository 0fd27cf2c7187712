# Shared by run_load.sh and soak.sh (sourced, from the repository root): the request bodies and
# a verbatim server on a free loopback port with the response cache off.

# write_bodies TEXTS_JSON OUT: one trace request body per line, keeping only texts of kind $KIND
# when it is set.
write_bodies() {
  python3 -c "
import json, sys
kind = sys.argv[2]
for t in json.load(open(sys.argv[1]))['texts']:
    if not kind or t.get('kind') == kind:
        print(json.dumps({'response': t['text']}))
" "$1" "${KIND:-}" > "$2"
  [ -s "$2" ] || { echo "no texts of kind '${KIND:-}' in $1" >&2; exit 1; }
}

# start_server INDEX LOG: starts `verbatim serve` in the background; sets $server (its pid) and
# $url once it listens.
start_server() {
  target/release/verbatim serve --index "$1" --addr 127.0.0.1:0 --cache-entries 0 --no-verify 2>"$2" &
  server=$!
  url=""
  for _ in $(seq 1 300); do
    url=$(grep -o 'http://[0-9.:]*' "$2" | head -1 || true)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  cat "$2" >&2
  echo "the server did not start" >&2
  exit 1
}

# setup INDEX TEXTS_JSON: the bodies in $bodies, the server started ($server, $url), and both
# cleaned up when the script exits.
setup() {
  bodies=$(mktemp)
  log=$(mktemp)
  trap 'if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; fi; rm -f "$bodies" "$log"' EXIT
  write_bodies "$2" "$bodies"
  start_server "$1" "$log"
}
