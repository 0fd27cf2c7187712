#!/usr/bin/env bash
# Time of a contamination check of one item copied from the corpus, by the item's length:
# a raw-bytes index (one token per byte) whose corpus holds four copies of the item's source,
# so that every search meets suffixes agreeing with its query for as long as the item goes on.
#
#   benches/contamination/long_items.sh VERBATIM_BINARY MEDIUM_DIR WORK_DIR
#
# MEDIUM_DIR is ../shared/data/corpora/medium (its gutenberg-000.jsonl.zst is read).
set -euo pipefail
bin=$1 medium=$2 work=$3
mkdir -p "$work" && cd "$work"
zstdcat "$medium/gutenberg-000.jsonl.zst" | head -40 > corpus.jsonl || true  # head closes the pipe
python3 - <<'PY'
import json
docs = sorted((json.loads(l) for l in open("corpus.jsonl")), key=lambda d: -len(d["text"]))
source = docs[0]["text"][:200000]
with open("corpus-dup.jsonl", "w") as f:
    for i in range(4):
        f.write(json.dumps({"id": f"dup{i}", "text": source}) + "\n")
    for d in docs[1:10]:
        f.write(json.dumps(d) + "\n")
with open("items.jsonl", "w") as f:
    for kb in (5, 10, 20, 40, 80):
        f.write(json.dumps({"id": f"copy{kb}", "text": source[1000:1000 + kb * 1000]}) + "\n")
PY
[ -d idx-bytes ] || "$bin" index --input corpus-dup.jsonl --out idx-bytes --tokenizer bytes \
    --side-indexes words,alnum > build.log 2>&1
for m in gpt3,palm,substr50 llama2 llama2-skip4; do
  args=(--method "${m%-skip4}")
  [ "$m" = llama2-skip4 ] && args+=(--llama2-skip 4)
  for kb in 5 10 20 40 80; do
    grep "\"copy$kb\"" items.jsonl > one.jsonl
    /usr/bin/time -f "%e" -o time.txt "$bin" contamination --index idx-bytes \
        --input one.jsonl "${args[@]}" --out "r-$m-$kb.json" > /dev/null 2>&1
    echo "$m ${kb} KB: $(cat time.txt) s"
  done
done
