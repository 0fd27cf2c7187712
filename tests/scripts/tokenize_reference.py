#!/usr/bin/env python3
"""Tokenize texts with the Python HuggingFace `tokenizers` package (the reference).

usage: tokenize_reference.py TOKENIZER_JSON TEXTS_JSON > IDS_JSON
TEXTS_JSON holds a JSON list of strings; the output is a JSON list of id lists, encoded
without special tokens, exactly as a model's tokenizer sees the text.
"""
import json
import sys

from tokenizers import Tokenizer

tok = Tokenizer.from_file(sys.argv[1])
texts = json.load(open(sys.argv[2], encoding="utf-8"))
json.dump([tok.encode(t, add_special_tokens=False).ids for t in texts], sys.stdout)
