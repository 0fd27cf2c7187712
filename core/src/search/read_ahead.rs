//! Deciding, step by step, whether a lockstep search of an index read from disk asks for its
//! pages ahead.
//!
//! Asking for a page (`MADV_WILLNEED`, [`crate::mmap::will_need`]) lets the disk read every
//! search's next page at once instead of one page fault after another. But each request is a
//! system call, which costs more than the load itself when the page is cached: asking at every
//! step made a warm 8-shard trace 8x slower (benches/RESULTS.md, "Disk reads issued
//! together"). So a lockstep search asks only where loads are slow. It times each step's
//! loads (a disk read costs tens of microseconds, a cached page under one; a step that asked
//! is judged by a lower bar, since its reads were already in flight), and asks for the next
//! step's pages when this step's loads were slow, or when the same step (the same depth of
//! the binary searches) was slow the last time this thread took it. The top steps of every search read pages every search reads, which stay cached;
//! the deep ones read pages of their own, which come from disk while the index is cold. A
//! warm index never asks; a cold one asks from the first deep step on.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A step that did not ask was slow when its loads took longer than this, per search plus a
/// fixed part: a page read from disk takes about 90 µs on the bench machine's disk, a cached
/// page under one, and even a page fault on a cached page about half of one.
const PER_SEARCH: Duration = Duration::from_micros(1);
const FIXED: Duration = Duration::from_micros(50);

/// A step that asked waits for reads already in flight, so it was slow when its loads took
/// longer than this: loads of mapped, cached pages take about 0.1 µs each.
const ASKED_PER_SEARCH: Duration = Duration::from_nanos(250);
const ASKED_FIXED: Duration = Duration::from_micros(10);

/// Steps remembered per kind of load (deeper steps share the last slot).
const DEPTHS: usize = 64;

/// The unit tests' searches (over heap memory, always fast) ask at every step, so that the
/// property tests run the asking path and show that it changes no answer.
const ALWAYS: bool = cfg!(test);

/// Set by [`always_ask`].
static FORCED: AtomicBool = AtomicBool::new(false);

/// Makes every query over shards read from disk ask for its pages at every step of its
/// searches and for every window of its documents, whatever the timings say (`false`: back
/// to judging by them). For tests, which must run the asking paths over real mapped indexes
/// and show that they change no answer; it changes only how fast pages arrive.
#[doc(hidden)]
pub fn always_ask(on: bool) {
    FORCED.store(on, Ordering::Relaxed);
}

/// Whether every step asks ([`ALWAYS`], or [`always_ask`]).
fn always() -> bool {
    ALWAYS || FORCED.load(Ordering::Relaxed)
}

/// What a step loads: each kind has its own depths.
#[derive(Debug, Clone, Copy)]
pub(super) enum Loads {
    /// Suffix samples (`samples.bin`).
    Samples = 0,
    /// Suffix-array entries of a binary search.
    SuffixArray,
    /// The first compared token of a binary search.
    Tokens,
    /// Suffix-array entries of a range found from a landing ([`super::expand`]).
    RangeSuffixArray,
    /// Its second tokens.
    RangeTokens,
}

const KINDS: usize = 5;

thread_local! {
    /// Whether each step of each kind was slow the last time this thread took it.
    static SLOW: RefCell<[[bool; DEPTHS]; KINDS]> = const { RefCell::new([[false; DEPTHS]; KINDS]) };
}

/// Whether the next step of a lockstep search asks for its pages ahead.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadAhead {
    /// Some shard of the search is read from disk.
    allowed: bool,
    /// Ask at every step ([`always`]).
    always: bool,
    kind: Loads,
    /// Steps taken.
    step: usize,
    asking: bool,
}

impl ReadAhead {
    /// For a search over shards some of which may be read from disk (`allowed`).
    pub(super) fn new(allowed: bool, kind: Loads) -> ReadAhead {
        ReadAhead::judged(allowed, kind, always())
    }

    fn judged(allowed: bool, kind: Loads, always: bool) -> ReadAhead {
        ReadAhead {
            allowed,
            always,
            kind,
            step: 0,
            asking: allowed && (always || was_slow(kind, 0)),
        }
    }

    /// Whether this step asks for its pages before loading them.
    #[inline]
    pub(super) fn asking(&self) -> bool {
        self.asking
    }

    /// Runs `loads`, the step's loads of `searches` searches, timing them when reading ahead
    /// is allowed, and decides whether the next step asks.
    #[inline]
    pub(super) fn loads<R>(&mut self, searches: usize, loads: impl FnOnce() -> R) -> R {
        if !self.allowed {
            return loads();
        }
        let t = Instant::now();
        let r = loads();
        self.judge(t.elapsed(), searches);
        r
    }

    /// Records whether this step's loads of `searches` searches, which took `elapsed`, were
    /// slow, and decides whether the next step asks.
    fn judge(&mut self, elapsed: Duration, searches: usize) {
        let n = searches as u32;
        let slow = elapsed
            > if self.asking {
                ASKED_FIXED + ASKED_PER_SEARCH * n
            } else {
                FIXED + PER_SEARCH * n
            };
        let (kind, step) = (self.kind as usize, self.step.min(DEPTHS - 1));
        SLOW.with_borrow_mut(|s| s[kind][step] = slow);
        self.step += 1;
        self.asking = self.always || slow || was_slow(self.kind, self.step);
    }
}

/// Windows whose first token a trace over disk shards loads, timed, before deciding whether
/// to ask for every window's pages ([`windows_ask`]).
pub(crate) const PROBED_WINDOWS: usize = 8;

/// Loading the first token of `PROBED_WINDOWS` windows was slow when it took longer than
/// this: a cached page takes under a microsecond (a first touch, a minor fault, about one),
/// one read from disk about 90 µs on the bench machine's disk.
const PROBE_FIXED: Duration = Duration::from_micros(20);
const PROBE_PER_WINDOW: Duration = Duration::from_micros(2);

/// Whether a trace over disk shards asks for the pages of all its documents' windows and
/// records, having loaded the first token of `probed` windows in `elapsed`: only when that
/// was slow, that is when their pages come from disk (asking costs a system call per window,
/// which a cached index would pay for nothing: 0.4 ms of a 2 ms trace at 1.3B tokens).
pub(crate) fn windows_ask(elapsed: Duration, probed: usize) -> bool {
    windows_ask_judged(elapsed, probed, always())
}

fn windows_ask_judged(elapsed: Duration, probed: usize, always: bool) -> bool {
    let probed = u32::try_from(probed).unwrap_or(u32::MAX);
    always || elapsed > PROBE_FIXED + PROBE_PER_WINDOW.saturating_mul(probed)
}

/// Whether step `step` of `kind` was slow the last time this thread took it.
fn was_slow(kind: Loads, step: usize) -> bool {
    SLOW.with_borrow(|s| s[kind as usize][step.min(DEPTHS - 1)])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads judged by how long they took (no clock: the decision alone is tested).
    #[test]
    fn asks_after_slow_loads_and_where_they_were_slow_before() {
        let (fast, slow) = (Duration::ZERO, Duration::from_millis(2));
        // A thread of its own: the remembered depths are per thread.
        std::thread::spawn(move || {
            let mut r = ReadAhead::judged(true, Loads::Tokens, false);
            assert!(!r.asking());
            r.judge(fast, 8);
            assert!(!r.asking(), "fast loads ask nothing");
            r.judge(slow, 8);
            assert!(r.asking(), "slow loads: the next step asks");
            r.judge(slow, 8);
            r.judge(fast, 8);
            assert!(
                !r.asking(),
                "asked loads that were fast: the next step does not ask"
            );
            // The next search asks from the step that was slow last time (step 1) on.
            let mut r = ReadAhead::judged(true, Loads::Tokens, false);
            assert!(!r.asking());
            r.judge(fast, 8);
            assert!(r.asking(), "step 1 was slow last time");
            // Another kind of load keeps its own depths.
            let mut other = ReadAhead::judged(true, Loads::Samples, false);
            other.judge(fast, 8);
            assert!(!other.asking());
            // A step that asked is judged by the lower bar: waiting 40 µs for reads in
            // flight is slow then, though it would not be for a step that did not ask.
            let wait = Duration::from_micros(40);
            let mut r = ReadAhead::judged(true, Loads::RangeTokens, false);
            r.judge(wait, 8);
            assert!(!r.asking(), "40 µs for 8 loads that did not ask: not slow");
            r.judge(slow, 8);
            assert!(r.asking());
            r.judge(wait, 8);
            assert!(r.asking(), "40 µs for 8 loads that asked: slow");
            // Memory-resident shards never time nor ask.
            let mut r = ReadAhead::judged(false, Loads::Tokens, false);
            r.loads(8, || std::thread::sleep(slow));
            assert!(!r.asking());
        })
        .join()
        .unwrap();
    }

    /// A trace asks for its windows' pages only when loading the first ones was slow.
    #[test]
    fn windows_are_asked_for_when_the_first_ones_were_slow() {
        let us = Duration::from_micros;
        assert!(
            !windows_ask_judged(us(8), 8, false),
            "1 µs per window: cached"
        );
        assert!(windows_ask_judged(us(90), 8, false), "one read from disk");
        assert!(!windows_ask_judged(us(20), 0, false));
        assert!(windows_ask_judged(us(21), 0, false));
        assert!(windows_ask_judged(Duration::ZERO, 8, true));
        assert!(
            !windows_ask_judged(us(90), usize::MAX, false),
            "no overflow"
        );
    }
}
