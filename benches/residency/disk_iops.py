#!/usr/bin/env python3
"""Random 4 KiB reads per second a disk answers, at several queue depths (one thread per
read in flight), with O_DIRECT so the page cache plays no part.

usage: python3 benches/residency/disk_iops.py FILE [SECONDS]

FILE: a large file on the disk to measure (e.g. an index's sa.bin). Used in
benches/RESULTS.md, "Indexes larger than memory".
"""
import mmap
import os
import random
import sys
import threading
import time

path = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
pages = os.path.getsize(path) // 4096


def reader(seed, out):
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, 4096)  # page-aligned, as O_DIRECT needs
    r = random.Random(seed)
    start, n = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        os.preadv(fd, [buf], r.randrange(pages) * 4096)
        n += 1
    out.append(n)
    os.close(fd)


for depth in (1, 2, 8, 32):
    counts = []
    threads = [threading.Thread(target=reader, args=(i, counts)) for i in range(depth)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = sum(counts)
    print(f"depth {depth}: {total / seconds:.0f} reads/s, {seconds * 1e6 * depth / total:.0f} us per read")
