#!/usr/bin/env python3
"""Checks that the web page's one-click examples quote the demo corpus.

For each example response, finds the passages that occur verbatim in the
text of the demo corpus, by plain string search: scanning the response word
by word, it extends a passage for as long as the passage (from the start of
its first word to the end of its last) is still a substring of some corpus
document, then goes on after it.  Quotation marks that open or close a
passage are not part of it.  Prints, per example, the passages of MIN_WORDS
words or more and the ids of the documents holding them, and exits 1 if an
example has fewer than MIN_PASSAGES such passages (the examples are meant to
light up several spans in the tracer).

This is a character-level check, independent of the tokenizer; a passage of
ten words is roughly twelve to fifteen tokens.

Usage: check_examples.py [CORPUS.jsonl.zst|CORPUS.jsonl] [EXAMPLES.json] [--quiet]
Defaults: corpora/demo/demo.jsonl.zst and corpora/demo/examples.json.
Uses the zstd command-line tool to read .zst files (stdlib Python only).
"""

import bisect
import json
import os
import re
import subprocess
import sys

MIN_PASSAGES = 3
MIN_WORDS = 10
QUOTES = "\"'“”‘’"
HERE = os.path.dirname(os.path.abspath(__file__))


def load_corpus(path):
    if path.endswith(".zst"):
        raw = subprocess.run(["zstd", "-dc", path], check=True,
                             stdout=subprocess.PIPE).stdout
    else:
        with open(path, "rb") as f:
            raw = f.read()
    ids, starts, parts, pos = [], [], [], 0
    for line in raw.decode("utf-8").splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        ids.append(doc["id"])
        starts.append(pos)
        parts.append(doc["text"])
        pos += len(doc["text"]) + 1
    # NUL never occurs in a document, so no match spans two documents
    return ids, starts, "\x00".join(parts)


def passages(response, hay):
    """Yields (text, word_count) for maximal verbatim passages, greedily."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", response)]

    def span(i, j):  # text of words i..j-1, outer quotation marks trimmed
        s = response[words[i][0]:words[j - 1][1]]
        return s.lstrip(QUOTES).rstrip(QUOTES)

    i = 0
    while i < len(words):
        j = i + 1
        if span(i, j) and span(i, j) in hay:
            while j < len(words) and span(i, j + 1) in hay:
                j += 1
            yield span(i, j), j - i
            i = j
        else:
            i += 1


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quiet = "--quiet" in sys.argv
    corpus = args[0] if args else os.path.join(HERE, "demo", "demo.jsonl.zst")
    examples = args[1] if len(args) > 1 else os.path.join(HERE, "demo", "examples.json")
    ids, starts, hay = load_corpus(corpus)
    with open(examples, encoding="utf-8") as f:
        exs = json.load(f)
    bad = 0
    for ex in exs:
        found = []
        for text, n in passages(ex["response"], hay):
            if n >= MIN_WORDS:
                hits, k = set(), hay.find(text)
                while k != -1 and len(hits) < 5:
                    hits.add(ids[bisect.bisect_right(starts, k) - 1])
                    k = hay.find(text, k + 1)
                found.append((n, text, sorted(hits)))
        words = len(ex["response"].split())
        quoted = sum(n for n, _, _ in found)
        ok = len(found) >= MIN_PASSAGES
        bad += not ok
        print("%-7s %-40s %3d words, %d passages of %d+ words (%d words in them)"
              % ("ok" if ok else "TOO FEW", ex["title"][:40], words,
                 len(found), MIN_WORDS, quoted))
        if not quiet:
            for n, text, docs in found:
                print("    %3d words [%s]\n        %s" % (n, ", ".join(docs), text))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
