//! Parquet corpora: one document per row. Row groups are decoded in parallel, across files and
//! within a file, and handed on strictly in file and row order (an [`OrderedQueue`] with a
//! bounded window), so the index is the same as a sequential read's. Memory stays bounded:
//! each worker decodes one batch of rows at a time (about [`CHUNK_BYTES`] of text, sized from
//! the footer), never a whole row group or file, and holds one page per column (the Parquet
//! reader's unit). Pages can be large (pyarrow checks the page size only every 1,024 values,
//! so book-sized texts make one page per row group), so row groups are decoded at once only
//! while their estimated pages fit [`DECODE_BUDGET`], and one whose pages alone would need more
//! than [`MAX_GROUP_MEMORY`] is skipped (`row_group_too_large`) rather than exhausting memory.
//!
//! Columns: the text column is `--text-field` (when it is the default `text` and a file has no
//! `text` column but a `content` column, as The Stack's files, `content`); the id column is
//! `--id-field` (a missing or empty id becomes `FILE:ROW`, ROW counted from 0 in the file); a
//! string `source` column is the source; every other scalar column (strings, numbers,
//! booleans, dates, timestamps, decimals) is metadata, nulls left out. Hive-style partition
//! folders (`lang=en/`) add their key and value as metadata, with `%XX` escapes decoded as
//! Spark, Hive and pyarrow write them (`lang=en%2Fus` is `en/us`).
//!
//! Bad input is counted like JSONL's (or fails the build with `--strict`), each message naming
//! the file, row group and row: a file that is not Parquet or is truncated (`unreadable_input`,
//! one per file), a missing text column (`missing_text`) or a non-string one
//! (`non_string_text`, one per row), null texts (`non_string_text`), a row with a text, id,
//! source or metadata string that is not UTF-8 (`invalid_utf8`, that row alone: string
//! columns are checked row by row, see `verbatim_parquet::Decoded`), a row group that cannot
//! be decoded (`unreadable_input`, one per row
//! not read), and a row group whose rows average more text than `--max-document-bytes`
//! (`document_too_large`, one per row: not decoded at all, since even one of its rows may not
//! fit the memory a document is allowed).

use super::document::id_too_long;
use super::jsonl::{file_label, FileOutcome};
use super::ordered::{OrderedQueue, Stopped};
use super::{Document, IdOrigin, InputFile, JsonlReader, SkipReason, Skips};
use crate::error::{bail, Result};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use verbatim_parquet::{json_value, Array, Decoded, ParquetFile, TextColumn, TextProblem};

/// Text per chunk of documents handed on, and the decoded size a batch of rows aims at.
pub const CHUNK_BYTES: u64 = 8 << 20;

/// Memory that row groups being decoded at once may need (their pages, compressed and
/// decompressed, and a batch): row groups are decoded in parallel while their estimates fit;
/// a row group whose estimate alone exceeds this is decoded by itself.
pub const DECODE_BUDGET: u64 = 256 << 20;

/// Memory one row group may need to be decoded at all (its estimated pages, compressed and
/// decompressed). A reader must hold a whole page, and writers that check the page size only
/// every 1,024 values (pyarrow, parquet-mr) put 1,024 large documents in one page; such a row
/// group is skipped with a message instead of exhausting memory.
pub const MAX_GROUP_MEMORY: u64 = 4 << 30;

/// Reads runs of Parquet files with the rules (fields, size cap, `--strict`, progress) of a
/// [`JsonlReader`].
pub struct ParquetReader<'a> {
    /// The rules shared with JSONL.
    pub rules: &'a JsonlReader<'a>,
    /// Decoding threads.
    pub threads: usize,
    /// Bytes of decoded text that may wait for their turn (the reorder window).
    pub window_bytes: u64,
    /// Estimated memory of the row groups decoded at once, at most (see [`DECODE_BUDGET`]).
    pub decode_budget: u64,
    /// Estimated memory one row group may need (see [`MAX_GROUP_MEMORY`]).
    pub max_group_memory: u64,
}

/// What a decoding worker hands on, in order.
enum Item {
    Docs(Vec<Document>),
    Skip {
        reason: SkipReason,
        file_no: usize,
        rows: u64,
        message: String,
    },
    /// Rows of a batch indexed under `FILE:ROW` because their id held no id, and what the
    /// first one's was.
    ReplacedIds(u64, String),
    /// Raw bytes read, for the progress bar.
    Progress(u64),
    /// A file is finished: its sha256.
    Hashed {
        file: usize,
        sha256: String,
    },
}

/// How the columns of one file are read.
struct Plan {
    file_no: usize,
    pq: ParquetFile,
    label: String,
    text: String,
    id: Option<String>,
    source: Option<String>,
    meta: Vec<String>,
    roots: Vec<usize>,
    text_root: usize,
    partitions: Vec<(String, String)>,
}

enum Unit {
    Report(Item),
    /// A row group, and the memory its decoding needs (estimated from the footer).
    Group(Arc<Plan>, usize, u64),
    Hash(usize, u64),
}

impl Unit {
    fn cost(&self) -> u64 {
        match self {
            Unit::Group(_, _, cost) => *cost,
            _ => 0,
        }
    }
}

/// Hands out units in order: each file's row groups, then its hash; a row group only while
/// the memory of those being decoded fits the budget.
struct Scheduler<'f> {
    files: &'f [InputFile],
    first_file_no: usize,
    next_file: usize,
    pending: std::collections::VecDeque<Unit>,
    next_seq: u64,
    /// Estimated memory of the row groups being decoded.
    in_use: u64,
}

impl ParquetReader<'_> {
    /// A reader with `threads` decoding threads and a window of two chunks per thread.
    pub fn new<'a>(rules: &'a JsonlReader<'a>, threads: usize) -> ParquetReader<'a> {
        let threads = threads.max(1);
        ParquetReader {
            rules,
            threads,
            window_bytes: 2 * CHUNK_BYTES * threads as u64,
            decode_budget: DECODE_BUDGET,
            max_group_memory: MAX_GROUP_MEMORY,
        }
    }

    /// Reads `files` (input files number `first_file_no`, `first_file_no + 1`, ...), handing
    /// every good document to `sink` in file and row order.
    pub fn read_files(
        &self,
        first_file_no: usize,
        files: &[InputFile],
        skips: &mut Skips,
        sink: &mut dyn FnMut(Document) -> Result<()>,
    ) -> Result<Vec<FileOutcome>> {
        let queue = OrderedQueue::<Item>::new(self.window_bytes);
        let sched = Mutex::new(Scheduler {
            files,
            first_file_no,
            next_file: 0,
            pending: Default::default(),
            next_seq: 0,
            in_use: 0,
        });
        let freed = Condvar::new();
        let mut hashes = vec![String::new(); files.len()];
        std::thread::scope(|scope| -> Result<()> {
            for _ in 0..self.threads {
                scope.spawn(|| {
                    let guard = FailOnPanic(&queue);
                    self.work(&sched, &freed, &queue);
                    std::mem::forget(guard);
                });
            }
            let drained = self.drain(&queue, skips, sink, &mut hashes);
            queue.stop();
            drained
        })?;
        Ok(hashes
            .into_iter()
            .map(|sha256| FileOutcome { sha256 })
            .collect())
    }

    /// The consumer: hands items on in order.
    fn drain(
        &self,
        queue: &OrderedQueue<Item>,
        skips: &mut Skips,
        sink: &mut dyn FnMut(Document) -> Result<()>,
        hashes: &mut [String],
    ) -> Result<()> {
        while let Some(item) = queue.pop().map_err(crate::error::Error::Failed)? {
            match item {
                Item::Docs(docs) => docs.into_iter().try_for_each(&mut *sink)?,
                Item::Skip {
                    reason,
                    file_no,
                    rows,
                    message,
                } => {
                    if self.rules.strict {
                        bail!(
                            "{message} (bad input is an error with --strict; omit it to skip and count)"
                        );
                    }
                    skips.record_rows(reason, file_no, rows, message);
                }
                Item::ReplacedIds(n, first) => skips.record_replaced_ids(n, || first),
                Item::Progress(n) => {
                    self.rules.progress.fetch_add(n, Ordering::Relaxed);
                }
                Item::Hashed { file, sha256 } => hashes[file] = sha256,
            }
        }
        Ok(())
    }

    /// A worker: takes units in order and decodes them until none is left or the consumer
    /// stops. Units are taken strictly in order, and a row group only when its memory fits
    /// the budget (or nothing else is being decoded), so the unit the consumer waits for is
    /// never kept waiting by later ones.
    fn work(&self, sched: &Mutex<Scheduler<'_>>, freed: &Condvar, queue: &OrderedQueue<Item>) {
        loop {
            let (seq, unit, cost) = {
                let mut s = sched.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if queue.is_stopped() {
                        return;
                    }
                    let Some(cost) = s.peek_cost(self.rules) else {
                        queue.close(s.next_seq);
                        return;
                    };
                    if s.in_use == 0 || s.in_use + cost <= self.decode_budget {
                        break;
                    }
                    s = freed.wait(s).unwrap_or_else(|e| e.into_inner());
                }
                let (seq, unit) = s.take();
                let cost = unit.cost();
                s.in_use += cost;
                queue.open(seq);
                (seq, unit, cost)
            };
            // Gives the memory back however the unit ends (a panic included).
            let _reservation = Reservation { sched, freed, cost };
            let done = match unit {
                Unit::Report(item) => queue.push(seq, item, 0),
                Unit::Group(plan, g, _) => self.decode_group_catching_panics(&plan, g, seq, queue),
                Unit::Hash(file, progress) => hash_file(sched, file, progress, seq, queue),
            };
            if done.is_err() {
                return;
            }
            queue.finish(seq);
        }
    }

    /// [`ParquetReader::decode_group`], with a panic of the Parquet decoder on malformed data
    /// turned into an unreadable row group (the rows not yet handed on are counted).
    fn decode_group_catching_panics(
        &self,
        plan: &Plan,
        g: usize,
        seq: u64,
        queue: &OrderedQueue<Item>,
    ) -> Result<(), Stopped> {
        let first = plan.pq.group_first_row(g);
        let end = first + plan.pq.group_rows(g);
        let mut row = first;
        let run = std::panic::AssertUnwindSafe(|| self.decode_group(plan, g, seq, queue, &mut row));
        match std::panic::catch_unwind(run) {
            Ok(done) => done,
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("unknown");
                let message = format!(
                    "{}: row group {g}: the Parquet decoder failed ({why}); rows {row}..{end} of \
                     the file are not indexed (unreadable input)",
                    plan.pq.path().display()
                );
                let item = Item::Skip {
                    reason: SkipReason::UnreadableInput,
                    file_no: plan.file_no,
                    rows: end - row,
                    message,
                };
                queue.push(seq, item, 0)
            }
        }
    }

    /// Decodes row group `g` of a file into documents and skips; `row` follows the rows
    /// handed on.
    fn decode_group(
        &self,
        plan: &Plan,
        g: usize,
        seq: u64,
        queue: &OrderedQueue<Item>,
        row: &mut u64,
    ) -> Result<(), Stopped> {
        let pq = &plan.pq;
        let rows = pq.group_rows(g);
        let first = pq.group_first_row(g);
        let end = first + rows;
        let skip = |reason, n, message| Item::Skip {
            reason,
            file_no: plan.file_no,
            rows: n,
            message,
        };
        let path = pq.path().display();
        let text_bytes = pq.group_decoded_bytes(g, &[plan.text_root]);
        let max = self.rules.max_document_bytes;
        let memory = group_memory(pq, g, &plan.roots);
        if rows > 0 && memory > self.max_group_memory {
            let msg = format!(
                "{path}: row group {g} (rows {first}..{end}): row group too large: decoding it \
                 needs about {} MiB at once (pages of about {} MiB), more than the {} MiB a row \
                 group may use; not decoded (rewrite the file with smaller pages or row groups, \
                 e.g. pyarrow's write_batch_size)",
                memory >> 20,
                pq.group_page_bytes(g, &plan.roots) >> 20,
                self.max_group_memory >> 20
            );
            *row = end;
            queue.push(seq, skip(SkipReason::RowGroupTooLarge, rows, msg), 0)?;
        } else if rows > 0 && text_bytes / rows > max {
            let msg = format!(
                "{path}: row group {g} (rows {first}..{end}): document too large: its {:?} \
                 column holds {text_bytes} bytes in {rows} rows, more than --max-document-bytes \
                 {max} a row on average; the row group is not decoded",
                plan.text
            );
            *row = end;
            queue.push(seq, skip(SkipReason::DocumentTooLarge, rows, msg), 0)?;
        } else if rows > 0 {
            let batch_rows = pq.batch_rows(g, &plan.roots, CHUNK_BYTES);
            let failed = match pq.row_group(g, &plan.roots, batch_rows) {
                Err(e) => Some(e),
                Ok(batches) => {
                    let mut failed = None;
                    for batch in batches {
                        match batch {
                            Ok(b) => self.convert(plan, g, &b, row, seq, queue)?,
                            Err(e) => {
                                failed = Some(e);
                                break;
                            }
                        }
                    }
                    failed
                }
            };
            if let Some(e) = failed {
                let msg = format!(
                    "{e}; rows {row}..{end} of the file are not indexed (unreadable input)"
                );
                let n = end - *row;
                *row = end;
                queue.push(seq, skip(SkipReason::UnreadableInput, n, msg), 0)?;
            }
        }
        queue.push(seq, Item::Progress(pq.group_compressed_bytes(g)), 0)
    }

    /// Turns one batch into documents (and skips), pushed in row order.
    fn convert(
        &self,
        plan: &Plan,
        g: usize,
        decoded: &Decoded,
        row: &mut u64,
        seq: u64,
        queue: &OrderedQueue<Item>,
    ) -> Result<(), Stopped> {
        let batch = &decoded.batch;
        let column = |name: &str| batch.column_by_name(name).map(|c| c.as_ref());
        let Some(text) = column(&plan.text).and_then(TextColumn::new) else {
            // The plan checked the column's type; a file whose schema changed under us reads
            // as unreadable.
            let msg = format!(
                "{}: row group {g}: the text column {:?} is missing from the decoded rows",
                plan.pq.path().display(),
                plan.text
            );
            let n = batch.num_rows() as u64;
            *row += n;
            let item = Item::Skip {
                reason: SkipReason::UnreadableInput,
                file_no: plan.file_no,
                rows: n,
                message: msg,
            };
            return queue.push(seq, item, 0);
        };
        let id = plan.id.as_deref().and_then(column);
        let source = plan.source.as_deref().and_then(column);
        let meta: Vec<(&String, &dyn Array)> = plan
            .meta
            .iter()
            .filter_map(|n| column(n).map(|c| (n, c)))
            .collect();
        let mut docs = Vec::new();
        let mut bytes = 0u64;
        let mut replaced: (u64, Option<String>) = (0, None);
        for i in 0..batch.num_rows() {
            let r = *row;
            *row += 1;
            // Any string of the row that is not UTF-8 skips it, as a JSONL line that is not
            // UTF-8 is skipped.
            let checked = match (decoded.invalid_in_row(i), text.get(i)) {
                (Some(bad), _) => Err((
                    SkipReason::InvalidUtf8,
                    format!(
                        "the {:?} column holds a value that is not UTF-8 ({})",
                        bad.column, bad.detail
                    ),
                )),
                (None, Ok(t)) => self.rules.check_text(t).map(|()| t),
                (None, Err(TextProblem::Null)) => Err((
                    SkipReason::NonStringText,
                    format!("{:?} is null, not a string", plan.text),
                )),
                (None, Err(TextProblem::InvalidUtf8(e))) => Err((SkipReason::InvalidUtf8, e)),
            };
            let t = match checked {
                Ok(t) => t,
                Err((reason, detail)) => {
                    if !docs.is_empty() {
                        queue.push(seq, Item::Docs(std::mem::take(&mut docs)), bytes)?;
                        bytes = 0;
                    }
                    let message = format!(
                        "{}: row group {g}, row {r}: {reason}: {detail}",
                        plan.pq.path().display()
                    );
                    let item = Item::Skip {
                        reason,
                        file_no: plan.file_no,
                        rows: 1,
                        message,
                    };
                    queue.push(seq, item, 0)?;
                    continue;
                }
            };
            let mut metadata = Map::new();
            for (k, v) in &plan.partitions {
                metadata.insert(k.clone(), Value::String(v.clone()));
            }
            for (name, c) in &meta {
                match json_value(*c, i) {
                    None | Some(Value::Null) => {}
                    Some(v) => {
                        metadata.insert((*name).clone(), v);
                    }
                }
            }
            // The id column's value as an id, or why it cannot be one (`Err(None)`: no id).
            let field_id = match id.and_then(|c| json_value(c, i)) {
                Some(Value::String(s)) if !s.is_empty() => Ok(s),
                Some(Value::Number(n)) => Ok(n.to_string()),
                None => Err(None),
                Some(Value::Null) => Err(Some("null".to_string())),
                Some(Value::String(_)) => Err(Some("an empty string".to_string())),
                Some(v) => Err(Some(format!("{v}"))),
            };
            let field_id = field_id.and_then(|s| match id_too_long(&s) {
                Some(why) => Err(Some(format!("an id {why}"))),
                None => Ok(s),
            });
            let (doc_id, id_origin) = match field_id {
                Ok(s) => (s, IdOrigin::Field),
                Err(None) => (format!("{}:{r}", plan.label), IdOrigin::FileRow),
                Err(Some(what)) => {
                    let derived = format!("{}:{r}", plan.label);
                    let message = format!(
                        "{}: row group {g}, row {r}: the id column {:?} holds {what}, so the id \
                         is {derived}",
                        plan.pq.path().display(),
                        self.rules.id_field
                    );
                    replaced.0 += 1;
                    replaced.1.get_or_insert(message);
                    (derived, IdOrigin::FileRow)
                }
            };
            let doc_source = match source.and_then(|c| json_value(c, i)) {
                Some(Value::String(s)) => Some(s),
                Some(Value::Null) | None => None,
                Some(other) => {
                    metadata.insert("source".into(), other);
                    None
                }
            };
            bytes += t.len() as u64;
            docs.push(Document {
                id: doc_id,
                source: doc_source,
                metadata,
                text: t.to_string(),
                file: plan.file_no,
                line: r,
                id_origin,
            });
            if bytes >= CHUNK_BYTES {
                queue.push(seq, Item::Docs(std::mem::take(&mut docs)), bytes)?;
                bytes = 0;
            }
        }
        if !docs.is_empty() {
            queue.push(seq, Item::Docs(docs), bytes)?;
        }
        if let (n, Some(first)) = replaced {
            queue.push(seq, Item::ReplacedIds(n, first), 0)?;
        }
        Ok(())
    }
}

/// The decoding memory a unit holds, given back when it ends.
struct Reservation<'s, 'f> {
    sched: &'s Mutex<Scheduler<'f>>,
    freed: &'s Condvar,
    cost: u64,
}

impl Drop for Reservation<'_, '_> {
    fn drop(&mut self) {
        self.sched.lock().unwrap_or_else(|e| e.into_inner()).in_use -= self.cost;
        self.freed.notify_all();
    }
}

/// Fails the queue when a worker unwinds, so the consumer never waits for it forever.
struct FailOnPanic<'q>(&'q OrderedQueue<Item>);

impl Drop for FailOnPanic<'_> {
    fn drop(&mut self) {
        self.0
            .fail("a Parquet decoding thread panicked (a bug: please report it)".into());
    }
}

/// Hashes a whole file (sha256 of its raw bytes, for the manifest).
fn hash_file(
    sched: &Mutex<Scheduler<'_>>,
    file: usize,
    progress: u64,
    seq: u64,
    queue: &OrderedQueue<Item>,
) -> Result<(), Stopped> {
    let path = {
        let s = sched.lock().unwrap_or_else(|e| e.into_inner());
        s.files[file].path.clone()
    };
    let mut hasher = Sha256::new();
    let hashed = std::fs::File::open(&path).and_then(|mut f| {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            hasher.update(&buf[..n]);
        }
    });
    let sha256 = match hashed {
        Ok(()) => hex::encode(hasher.finalize()),
        Err(e) => {
            tracing::warn!("cannot hash {}: {e}", path.display());
            String::new()
        }
    };
    queue.push(seq, Item::Progress(progress), 0)?;
    queue.push(seq, Item::Hashed { file, sha256 }, 0)
}

impl Scheduler<'_> {
    /// The memory the next unit needs, opening the next file's footer when needed; `None`
    /// when every unit was taken.
    fn peek_cost(&mut self, rules: &JsonlReader<'_>) -> Option<u64> {
        while self.pending.is_empty() {
            if self.next_file == self.files.len() {
                return None;
            }
            let i = self.next_file;
            self.next_file += 1;
            self.plan_file(i, rules);
        }
        self.pending.front().map(Unit::cost)
    }

    /// Takes the next unit (after [`Scheduler::peek_cost`] found one) and numbers it.
    fn take(&mut self) -> (u64, Unit) {
        let unit = self.pending.pop_front().expect("peek_cost found a unit");
        let seq = self.next_seq;
        self.next_seq += 1;
        (seq, unit)
    }

    /// Queues the units of file `i`: a report when it cannot be read as documents, else its
    /// row groups; then its hash.
    fn plan_file(&mut self, i: usize, rules: &JsonlReader<'_>) {
        let file = &self.files[i];
        let file_no = self.first_file_no + i;
        let report = |reason, rows, message| {
            Unit::Report(Item::Skip {
                reason,
                file_no,
                rows,
                message,
            })
        };
        let mut group_bytes = 0;
        match ParquetFile::open(&file.path) {
            Err(e) => self.pending.push_back(report(
                SkipReason::UnreadableInput,
                1,
                format!("{e}; the file is not indexed (unreadable input)"),
            )),
            Ok(pq) => match plan(file, file_no, pq, rules) {
                Err((reason, rows, message)) => {
                    self.pending.push_back(report(reason, rows, message))
                }
                Ok(plan) => {
                    let plan = Arc::new(plan);
                    for g in 0..plan.pq.num_row_groups() {
                        group_bytes += plan.pq.group_compressed_bytes(g);
                        let cost = group_memory(&plan.pq, g, &plan.roots);
                        self.pending.push_back(Unit::Group(plan.clone(), g, cost));
                    }
                }
            },
        }
        let rest = file.bytes.saturating_sub(group_bytes);
        self.pending.push_back(Unit::Hash(i, rest));
    }
}

/// Estimated memory of decoding row group `g`: a page of each column, compressed and
/// decompressed, and a batch of rows.
fn group_memory(pq: &ParquetFile, g: usize, roots: &[usize]) -> u64 {
    2 * pq.group_page_bytes(g, roots) + CHUNK_BYTES
}

/// Chooses the columns of a file; a file with no usable text column is a skip of all its rows.
fn plan(
    file: &InputFile,
    file_no: usize,
    pq: ParquetFile,
    rules: &JsonlReader<'_>,
) -> std::result::Result<Plan, (SkipReason, u64, String)> {
    let schema = pq.schema().clone();
    let has = |n: &str| schema.index_of(n).ok();
    let text = match has(rules.text_field) {
        None if rules.text_field == "text" && has("content").is_some() => "content",
        _ => rules.text_field,
    };
    let rows = pq.num_rows();
    let path = file.path.display();
    let Some(text_root) = has(text) else {
        let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        return Err((
            SkipReason::MissingText,
            rows,
            format!(
                "{path}: missing text: no column {text:?} (its columns: {}); choose the text \
                 column with --text-field; {rows} rows not indexed",
                columns.join(", ")
            ),
        ));
    };
    let dt = schema.field(text_root).data_type();
    if !TextColumn::accepts(dt) {
        return Err((
            SkipReason::NonStringText,
            rows,
            format!(
                "{path}: non string text: column {text:?} holds {dt}, not strings; choose the \
                 text column with --text-field; {rows} rows not indexed"
            ),
        ));
    }
    let id = has(rules.id_field).map(|_| rules.id_field.to_string());
    if id.is_none() && rules.id_field != "id" {
        tracing::warn!(
            "{path}: no column {:?} (--id-field); its ids are FILE:ROW",
            rules.id_field
        );
    }
    let source = has("source").map(|_| "source".to_string());
    let mut roots = vec![text_root];
    let mut meta = Vec::new();
    for (k, f) in schema.fields().iter().enumerate() {
        let name = f.name();
        if k == text_root {
            continue;
        }
        if Some(name) == id.as_ref() || Some(name) == source.as_ref() {
            roots.push(k);
        } else if verbatim_parquet::is_scalar(f.data_type()) {
            roots.push(k);
            meta.push(name.clone());
        }
    }
    roots.sort_unstable();
    let partitions = hive_partitions(file)
        .into_iter()
        .filter(|(k, _)| has(k).is_none())
        .collect();
    Ok(Plan {
        file_no,
        label: file_label(file),
        text: text.to_string(),
        id,
        source,
        meta,
        roots,
        text_root,
        partitions,
        pq,
    })
}

/// `key=value` folders between the input directory and the file (Hive / Spark partitioning),
/// their `%XX` escapes decoded; Hive's `__HIVE_DEFAULT_PARTITION__` (a null) is left out.
fn hive_partitions(file: &InputFile) -> Vec<(String, String)> {
    let Some(root) = &file.root else {
        return Vec::new();
    };
    let Ok(rel) = file.path.strip_prefix(root) else {
        return Vec::new();
    };
    let Some(parent) = rel.parent() else {
        return Vec::new();
    };
    parent
        .components()
        .filter_map(|c| {
            let name = c.as_os_str().as_encoded_bytes();
            let eq = name.iter().position(|&b| b == b'=')?;
            let (k, v) = (unescape(&name[..eq]), unescape(&name[eq + 1..]));
            (!k.is_empty() && v != "__HIVE_DEFAULT_PARTITION__").then_some((k, v))
        })
        .collect()
}

/// A partition folder's key or value with its `%XX` escapes decoded. Bytes that are not
/// UTF-8 after decoding are written back as `%XX`, so two such folders stay apart.
fn unescape(raw: &[u8]) -> String {
    let bytes: Vec<u8> = percent_encoding::percent_decode(raw).collect();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[path = "parquet_tests.rs"]
mod tests;
