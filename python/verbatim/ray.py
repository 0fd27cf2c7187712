"""Index builds and contamination checks that scale out on a Ray cluster.

Needs the ``ray`` extra (``pip install './python[ray]'``). Every path given here must be
reachable under the same name from the driver and from every worker (a shared directory: NFS,
a cluster file system, or, on one machine, any local folder). See ``docs/ray.md``.

Distributed build (:func:`build`)
    The corpus files, in the order a single build reads them, are cut into ``num_tasks``
    contiguous groups balanced by size. Task ``k`` builds part ``k`` with the Rust indexer on
    whichever node runs it, into a fresh directory ``SHARED/parts/part-K.attemptN`` (the
    attempt number is claimed atomically, so a retried or killed task never writes into
    another attempt's directory, and the indexer itself renames a complete part into place
    only at its end). Ray retries a task whose worker died. The driver then assembles the
    parts Ray reports as successful, in part order, into one index whose answers equal a
    single-machine build of the same corpus, and removes what failed attempts left behind.

Distributed contamination check (:func:`contamination`)
    Benchmark items (files read as ``verbatim contamination`` reads them, a list of dicts, or
    a ``ray.data.Dataset``) are checked in batches by tasks that each open the index
    memory-mapped (once per worker process), and the driver assembles the same report as
    ``verbatim contamination`` (item for item; only the timing differs).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from . import _native
from .errors import BuildError

try:
    import ray
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "verbatim.ray needs Ray: pip install 'verbatim[ray]' (or pip install 'ray[data]')"
    ) from e

__all__ = ["build", "assemble", "plan_parts", "contamination"]

PathLike = Union[str, "os.PathLike[str]"]

# ---------------------------------------------------------------------------------- build


def plan_parts(files: Sequence[Tuple[str, int]], num_tasks: int) -> List[List[str]]:
    """Cuts ``(path, bytes)`` files, in build order, into at most ``num_tasks`` contiguous,
    non-empty groups of about equal bytes (a file is never split)."""
    if num_tasks < 1:
        raise ValueError("num_tasks must be at least 1")
    files = list(files)
    if not files:
        return []
    k = min(num_tasks, len(files))
    total = sum(max(b, 1) for _, b in files)
    groups: List[List[str]] = []
    acc = 0
    cur: List[str] = []
    for i, (p, b) in enumerate(files):
        cur.append(str(p))
        acc += max(b, 1)
        left_files = len(files) - i - 1
        left_groups = k - len(groups) - 1
        # Close the group at its share of the bytes, keeping one file for each group left.
        if left_groups > 0 and (acc >= total * (len(groups) + 1) / k or left_files == left_groups):
            groups.append(cur)
            cur = []
    if cur:
        groups.append(cur)
    return groups


def _claim_attempt(parts_dir: Path, k: int) -> Tuple[int, Path]:
    """The next attempt number of part ``k``, claimed by creating its claim file exclusively
    (atomic on local and network file systems), and the directory that attempt builds."""
    n = 0
    while True:
        claim = parts_dir / f"part-{k:05d}.attempt{n}.claim"
        try:
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            n += 1
            continue
        with os.fdopen(fd, "w") as f:
            f.write(f"{os.uname().nodename} pid {os.getpid()} at {time.time():.3f}\n")
        return n, parts_dir / f"part-{k:05d}.attempt{n}"


def _build_part(k: int, files: List[str], parts_dir: str, tokenizer: str, opts: Dict[str, Any],
                on_attempt: Optional[Callable[[int, int, str], None]]) -> str:
    """Ray task body: builds part ``k`` of the corpus into a fresh attempt directory and
    returns it."""
    attempt, out = _claim_attempt(Path(parts_dir), k)
    if on_attempt is not None:
        on_attempt(k, attempt, str(out))
    _native.build_index(files, str(out), tokenizer, part=k, **opts)
    return str(out)


def build(
    inputs: Union[PathLike, Iterable[PathLike]],
    out: PathLike,
    tokenizer: str,
    *,
    shared_dir: PathLike,
    num_tasks: int = 4,
    side_indexes: Sequence[str] = (),
    name: Optional[str] = None,
    format: str = "auto",
    text_field: str = "text",
    id_field: str = "id",
    cpus_per_task: int = 1,
    memory_per_task: Optional[int] = None,
    max_retries: int = 3,
    fulltext: bool = True,
    force: bool = False,
    keep_parts: bool = False,
    on_attempt: Optional[Callable[[int, int, str], None]] = None,
) -> Dict[str, Any]:
    """Builds one index of ``inputs`` into ``out`` with ``num_tasks`` Ray tasks and returns
    its manifest.

    ``shared_dir``: where the tasks write their parts (``shared_dir/parts``), reachable from
    every worker and from the driver. ``cpus_per_task`` and ``memory_per_task`` (bytes) are
    the Ray resources each task asks for; the indexer then uses that many threads and keeps
    its memory under that budget (default: 60% of the node's available memory, shared by the
    tasks on a node). ``max_retries``: how often Ray reruns a task whose worker died.
    ``on_attempt(k, attempt, dir)`` runs at the start of every attempt, on the worker (for
    tests and fault injection). The other options are those of ``verbatim.build``.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    inputs = [str(p) for p in inputs]
    out = Path(out)
    if out.exists() and not force:
        raise BuildError(f"{out} already exists; pass force=True to replace it")
    files = _native.discover_inputs(inputs, format=format)
    if not files:
        raise BuildError(f"no corpus files found in {', '.join(inputs)}")
    groups = plan_parts([(str(p), b) for p, b in files], num_tasks)
    parts_dir = Path(shared_dir) / "parts"
    if parts_dir.exists() and any(parts_dir.iterdir()):
        raise BuildError(
            f"{parts_dir} is not empty: it holds parts of another build; remove it or choose "
            "another shared_dir"
        )
    parts_dir.mkdir(parents=True, exist_ok=True)
    opts: Dict[str, Any] = {
        "name": name or out.name,
        "side_indexes": list(side_indexes),
        "format": format,
        "text_field": text_field,
        "id_field": id_field,
        "threads": cpus_per_task,
        "fulltext": fulltext,
        "max_memory": memory_per_task,
    }
    resources: Dict[str, Any] = {"num_cpus": cpus_per_task, "max_retries": max_retries}
    if memory_per_task:
        resources["memory"] = memory_per_task
    task = ray.remote(_build_part).options(**resources)
    opts["parts"] = len(groups)
    refs = [task.remote(k, g, str(parts_dir), tokenizer, opts, on_attempt)
            for k, g in enumerate(groups)]
    try:
        parts = ray.get(refs)
    except Exception as e:
        raise BuildError(f"a build task failed after {max_retries} retries: {e}") from e
    manifest = assemble(parts, out, force=force)
    if not keep_parts:
        _remove_parts(parts_dir, manifest)
    return manifest


def _remove_parts(parts_dir: Path, manifest: Dict[str, Any]) -> None:
    """Removes what the parts left in ``parts_dir`` (failed attempts, temporary directories,
    claims), keeping any directory that holds a shard the assembled index still names."""
    kept = [Path(s["dir"]) for s in manifest.get("shards", []) if os.path.isabs(s["dir"])]
    for entry in parts_dir.iterdir():
        if any(k == entry or entry in k.parents for k in kept):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    if not any(parts_dir.iterdir()):
        parts_dir.rmdir()


def assemble(parts: Sequence[PathLike], out: PathLike, *, force: bool = False) -> Dict[str, Any]:
    """Assembles complete part indexes (part 0 first) into one index at ``out`` and returns
    its manifest (``verbatim assemble``: atomic, shards hard-linked rather than rewritten)."""
    return _native.assemble_index([str(p) for p in parts], str(out), force=force)


# -------------------------------------------------------------------------- contamination

_OPEN: Dict[Tuple[str, Optional[int]], Any] = {}


def _open_cached(path: str, threads: Optional[int]) -> Any:
    """The index at ``path``, opened once per worker process (memory-mapped: every process
    on a node shares its pages)."""
    key = (path, threads)
    ix = _OPEN.get(key)
    if ix is None:
        ix = _native.Index(path, threads=threads)
        _OPEN[key] = ix
    return ix


def _check(index: str, threads: int, items: List[Dict[str, str]], opts: Dict[str, Any]):
    """Ray task body: checks one batch; results as JSON strings, and CPU seconds per method."""
    ix = _open_cached(index, threads)
    return _native.check_batch(ix, items, threads=threads, **opts)


class _CheckBatches:
    """Ray Data UDF: checks the items of each batch (columns ``id``, ``text``, ``bench``)."""

    def __init__(self, index: str, threads: int, opts: Dict[str, Any]) -> None:
        self.index = _open_cached(index, threads)
        self.threads = threads
        self.opts = opts

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        n = len(batch["text"])
        items = [{"id": str(batch["id"][i]), "text": str(batch["text"][i]),
                  "bench": str(batch["bench"][i])} for i in range(n)]
        results, _cpu = _native.check_batch(self.index, items, threads=self.threads, **self.opts)
        return {"result": results}


def _dataset_items(ds: Any, field: str, id_field: str, group_field: str) -> Any:
    """A Dataset with the columns ``id``, ``text``, ``bench`` from the given fields (a
    missing id column is refused: a distributed read has no record numbers)."""
    cols = set(ds.schema().names)
    if field not in cols:
        raise ValueError(f"the dataset has no {field!r} column (columns: {sorted(cols)})")
    if id_field not in cols:
        raise ValueError(f"the dataset has no {id_field!r} column: add item ids first")

    def rename(batch: Dict[str, Any]) -> Dict[str, Any]:
        n = len(batch[field])
        bench = batch[group_field] if group_field in batch else ["dataset"] * n
        return {"id": [str(x) for x in batch[id_field]], "text": [str(x) for x in batch[field]],
                "bench": [str(x) for x in bench]}

    return ds.map_batches(rename, batch_format="numpy")


def contamination(
    index: PathLike,
    items: Any,
    *,
    methods: Optional[Sequence[str]] = None,
    llama2_skip: int = 0,
    examples: int = 3,
    max_spans: int = 10,
    batch_size: int = 512,
    cpus_per_task: int = 1,
    max_retries: int = 3,
    field: str = "text",
    template: Optional[str] = None,
    id_field: str = "id",
    group_field: str = "bench",
    format: Optional[str] = None,
    out: Optional[PathLike] = None,
    csv: Optional[PathLike] = None,
    html: Optional[PathLike] = None,
    pii: str = "mask",
) -> Dict[str, Any]:
    """Checks benchmark items against ``index`` on the Ray cluster and returns the report
    ``verbatim contamination`` writes (also written to ``out``, ``csv``, ``html`` if given);
    example snippets under the privacy filter ``pii`` ("mask", "drop" or "off").

    ``items``: path(s) of JSONL / CSV files (read as the CLI reads them), a list of dicts or
    str, or a ``ray.data.Dataset`` with ``field`` and ``id_field`` columns (and optionally
    ``group_field``). ``index`` must be reachable under the same path on every worker.
    """
    index = str(index)
    opts = {"methods": list(methods) if methods else None, "llama2_skip": llama2_skip,
            "examples": examples, "max_spans": max_spans}
    # The workers filter the examples they find; the report is assembled from them as is.
    check_opts = dict(opts, pii=pii)
    driver_ix = _native.Index(index)
    started = time.perf_counter()
    cpu: Dict[str, float] = {}
    is_dataset = type(items).__module__.startswith("ray.data")
    if is_dataset:
        if template is not None:
            raise ValueError("template is not supported for a Dataset: build the text column first")
        # The report lists items in the dataset's order, so its execution must keep it. A
        # Dataset executes with the DataContext it was created with (shared with the datasets
        # derived from it), not the current one: set the option there (and in the current one,
        # for Ray versions without Dataset.context) for this run only.
        contexts = [ray.data.DataContext.get_current()]
        own = getattr(items, "context", None)
        if own is not None and own is not contexts[0]:
            contexts.append(own)
        saved = [c.execution_options.preserve_order for c in contexts]
        for c in contexts:
            c.execution_options.preserve_order = True
        try:
            ds = _dataset_items(items, field, id_field, group_field)
            checked = ds.map_batches(
                _CheckBatches, fn_constructor_args=(index, cpus_per_task, check_opts),
                batch_size=batch_size, batch_format="numpy", num_cpus=cpus_per_task,
                concurrency=max(1, int(ray.available_resources().get("CPU", 1) // cpus_per_task)),
            )
            results = [r["result"] for r in checked.iter_rows()]
        finally:
            for c, v in zip(contexts, saved):
                c.execution_options.preserve_order = v
        inputs = ["<ray.data.Dataset>"]
    else:
        item_dicts, inputs = _native.read_items(items, field=field, template=template,
                                                id_field=id_field, group_field=group_field,
                                                format=format)
        if not item_dicts:
            raise ValueError("no items to check")
        task = ray.remote(_check).options(num_cpus=cpus_per_task, max_retries=max_retries)
        refs = [task.remote(index, cpus_per_task, item_dicts[i:i + batch_size], check_opts)
                for i in range(0, len(item_dicts), batch_size)]
        results = []
        for res, per in ray.get(refs):
            results.extend(res)
            for k, v in per.items():
                cpu[k] = cpu.get(k, 0.0) + v
    wall = time.perf_counter() - started
    cpus = int(ray.cluster_resources().get("CPU", 0))
    return _native.assemble_report(
        driver_ix, results, inputs=inputs, wall_seconds=wall, threads=cpus,
        method_cpu_seconds=cpu or None, out=None if out is None else str(out),
        csv=None if csv is None else str(csv), html=None if html is None else str(html), **opts)
