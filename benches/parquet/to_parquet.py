#!/usr/bin/env python3
"""Writes Parquet copies of JSONL data with pyarrow, the way published datasets ship them.

  to_parquet.py corpus DIR_OF_JSONL_ZST OUT_DIR [--row-group-mb 128] [--groups-per-file 2]
      every *.jsonl.zst of DIR, in sorted path order (the order `verbatim index` reads them),
      as OUT_DIR/data/train-0000K-of-0000N.parquet: zstd, row groups of about 128 MB of text
      (one `write_table` per row group), string columns (id, source, text, and any other
      field seen, null where a record lacks it).
  to_parquet.py mmlu TEST_JSONL_ZST OUT_FILE
      MMLU's test split as the HuggingFace hub ships it (cais/mmlu, all/test-*.parquet):
      question (string), subject (string), choices (list<string>), answer (int64); snappy.

Needs pyarrow (pip install pyarrow). Writes nothing into the repository.
"""
import argparse
import glob
import io
import json
import os
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def jsonl_records(path):
    import subprocess

    # zstdcat keeps this script free of a zstandard dependency.
    proc = subprocess.Popen(["zstdcat", path], stdout=subprocess.PIPE)
    for line in io.TextIOWrapper(proc.stdout, encoding="utf-8"):
        if line.strip():
            yield json.loads(line)
    if proc.wait() != 0:
        sys.exit(f"zstdcat {path} failed")


def corpus(args):
    files = sorted(glob.glob(os.path.join(args.input, "**", "*.jsonl.zst"), recursive=True))
    keys = []
    for f in files:
        for r in jsonl_records(f):
            for k in r:
                if k not in keys:
                    keys.append(k)
    schema = pa.schema([(k, pa.string()) for k in keys])
    out_dir = os.path.join(args.out, "data")
    os.makedirs(out_dir, exist_ok=True)
    target = args.row_group_mb << 20
    written, writer, groups_in_file, rows = [], None, 0, []
    size = 0

    def flush():
        nonlocal writer, groups_in_file, rows, size
        if not rows:
            return
        if writer is None:
            path = os.path.join(out_dir, f"part-{len(written):05d}.tmp")
            written.append(path)
            writer = pq.ParquetWriter(path, schema, compression="zstd")
        table = pa.Table.from_pydict({k: [r.get(k) for r in rows] for k in keys}, schema=schema)
        writer.write_table(table, row_group_size=len(rows))
        print(f"{os.path.basename(written[-1])}: row group of {len(rows)} rows, {size / 2**20:.1f} MiB of text")
        rows, size = [], 0
        groups_in_file += 1
        if groups_in_file == args.groups_per_file:
            writer.close()
            writer, groups_in_file = None, 0

    for f in files:
        for r in jsonl_records(f):
            rows.append(r)
            size += len(r.get("text", "").encode())
            if size >= target:
                flush()
    flush()
    if writer is not None:
        writer.close()
    n = len(written)
    for k, path in enumerate(written):
        os.rename(path, os.path.join(out_dir, f"train-{k:05d}-of-{n:05d}.parquet"))
    print(f"{n} files in {out_dir}")


def mmlu(args):
    recs = list(jsonl_records(args.input))
    schema = pa.schema(
        [("question", pa.string()), ("subject", pa.string()),
         ("choices", pa.list_(pa.string())), ("answer", pa.int64())]
    )
    table = pa.Table.from_pydict({k: [r[k] for r in recs] for k in schema.names}, schema=schema)
    pq.write_table(table, args.out, compression="snappy")
    print(f"{len(recs)} rows to {args.out}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus")
    c.add_argument("input")
    c.add_argument("out")
    c.add_argument("--row-group-mb", type=int, default=128)
    c.add_argument("--groups-per-file", type=int, default=2)
    m = sub.add_parser("mmlu")
    m.add_argument("input")
    m.add_argument("out")
    args = p.parse_args()
    {"corpus": corpus, "mmlu": mmlu}[args.cmd](args)


if __name__ == "__main__":
    main()
