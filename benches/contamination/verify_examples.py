#!/usr/bin/env python3
"""Checks that every example document a `verbatim contamination` report shows holds its
matched text: each example is fetched with `verbatim doc --json`, normalised as its method
normalises (gpt3, palm, substr50: the `words` normalisation; gpt4: `alnum`; llama2: raw text),
and the snippet's match, normalised the same way, must occur in it. Documents are fetched
with the privacy filter the report was made with (`--pii`, default `mask`): with `mask`, an
address masked in the match is masked in the document too, so the check is strict only on a
report made with `--pii off`.

    python3 benches/contamination/verify_examples.py --verbatim target/release/verbatim \\
        --index IDX --report report.json [--pii off]
"""
import argparse
import json
import re
import subprocess
import sys


def words(text):
    return " " + " ".join(w.lower() for w in re.split(r"[^A-Za-z0-9]+", text) if w) + " "


def alnum(text):
    return "".join(c.lower() for c in text if c.isascii() and c.isalnum())


NORMALISE = {"gpt3": words, "palm": words, "substr50": words, "gpt4": alnum}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verbatim", default="target/release/verbatim")
    ap.add_argument("--index", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--pii", default="mask",
                    help="the privacy filter the report was made with (`verbatim contamination "
                         "--pii`): documents are fetched with the same; `off` checks the "
                         "unmasked text")
    args = ap.parse_args()
    report = json.load(open(args.report))
    texts = {}

    def doc(doc_id):
        if doc_id not in texts:
            out = subprocess.run(
                [args.verbatim, "doc", "--index", args.index, "--json", "--pii", args.pii, doc_id],
                capture_output=True, text=True, check=True,
            ).stdout
            texts[doc_id] = json.loads(out)["text"]
        return texts[doc_id]

    checked = held = 0
    for item in report["items"]:
        for m in item["methods"]:
            norm = NORMALISE.get(m["method"], lambda t: t)
            for ex in m.get("examples", []):
                snippet = ex.get("snippet")
                if not snippet:
                    continue
                needle = snippet["match"]
                if m["method"] in NORMALISE:
                    # Normalised again: the privacy filter's masks (`[IP]`, `[PHONE]`, ...) are
                    # put into the shown, already normalised text, and into the fetched
                    # document's text, which is normalised here.
                    needle = norm(needle)
                checked += 1
                if needle.strip() in norm(doc(ex["id"])):
                    held += 1
                else:
                    print(f"MISSING {item['id']} {m['method']} {ex['id']}: {needle[:80]!r}")
    print(f"{held}/{checked} examples hold their match")
    sys.exit(0 if held == checked else 1)


if __name__ == "__main__":
    main()
