#!/usr/bin/env python3
"""Writes the same small corpus as JSONL and as Parquet files written by pyarrow and polars,
for tests/parquet_input.rs (`parquet_written_by_pyarrow_and_polars_indexes_like_jsonl`).

  write_parquet_fixtures.py OUT_DIR

OUT_DIR/jsonl/corpus.jsonl holds the documents in the order the Parquet trees list them;
OUT_DIR/pyarrow/ and OUT_DIR/polars/ hold the same rows in these layouts:
- pyarrow: a hive-partitioned dataset (`lang=en/`, `lang=fr/`) written by
  `pyarrow.parquet.write_to_dataset`, with `large_string` text, a dictionary (categorical)
  `source`, zstd, small row groups, and a `_SUCCESS` marker as Spark leaves it; the `lang`
  column lives only in the folder names, as with Spark;
- polars: `DataFrame.write_parquet` in snappy, gzip, lz4 and uncompressed, one file each,
  with a Categorical source and nulls in an optional column.
Exits 3 (and says why) when pyarrow or polars is not installed.
"""
import json
import os
import sys

try:
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq
except ImportError as e:  # the test skips (or fails under CI) on exit code 3
    print(f"No module named {e.name}: pip install pyarrow polars", file=sys.stderr)
    sys.exit(3)


def docs():
    out = []
    for i in range(48):
        out.append({
            "id": f"d{i:02d}",
            "source": ["web", "books", "code"][i % 3],
            "lang": "en" if i < 24 else "fr",
            "text": f"Row {i}: " + "une phrase, a sentence; " * (i % 7 + 1) + "ñ✓",
            "stars": None if i % 5 == 0 else i * 3,
            "score": i / 4,
        })
    return out


def main():
    out = sys.argv[1]
    rows = docs()
    os.makedirs(f"{out}/jsonl", exist_ok=True)
    # Order of the Parquet trees: pyarrow's partitions (en, fr), then polars' files.
    with open(f"{out}/jsonl/corpus.jsonl", "w") as f:
        for r in rows:
            f.write(json.dumps({k: v for k, v in r.items() if v is not None}) + "\n")

    table = pa.table({
        "id": pa.array([r["id"] for r in rows], pa.string()),
        "source": pa.array([r["source"] for r in rows], pa.string()).dictionary_encode(),
        "lang": pa.array([r["lang"] for r in rows], pa.string()),
        "text": pa.array([r["text"] for r in rows], pa.large_string()),
        "stars": pa.array([r["stars"] for r in rows], pa.int64()),
        "score": pa.array([r["score"] for r in rows], pa.float64()),
    })
    pq.write_to_dataset(
        table, f"{out}/pyarrow", partition_cols=["lang"], compression="zstd",
        row_group_size=5, basename_template="part-{i}.zstd.parquet",
    )
    open(f"{out}/pyarrow/_SUCCESS", "w").close()

    os.makedirs(f"{out}/polars", exist_ok=True)
    df = pl.DataFrame(rows).with_columns(pl.col("source").cast(pl.Categorical))
    for k, codec in enumerate(["snappy", "gzip", "lz4", "uncompressed"]):
        part = df.slice(k * 12, 12)
        part.write_parquet(f"{out}/polars/part-{k}.{codec}.parquet", compression=codec, row_group_size=4)


if __name__ == "__main__":
    main()
