//! An in-order hand-off for work decoded in parallel: numbered units are filled by worker
//! threads in any order and drained by one consumer strictly in unit order, with a bound on
//! the bytes waiting (the reorder window), so memory stays bounded however far ahead the
//! workers run.
//!
//! A worker may add an item when it fits in the window, or when its unit is the one being
//! drained and holds nothing yet; so the unit at the head always progresses and the queue
//! never deadlocks: waiting items are at most the window plus one item.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Why a worker should stop: the consumer gave up (an error, or `--strict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

struct Slot<T> {
    items: VecDeque<(T, u64)>,
    done: bool,
}

struct State<T> {
    head: u64,
    /// The number of units, once the last one is known.
    end: Option<u64>,
    slots: BTreeMap<u64, Slot<T>>,
    held: u64,
    stopped: bool,
    failed: Option<String>,
}

/// Units `0, 1, 2, ...` of items, drained in order.
pub struct OrderedQueue<T> {
    state: Mutex<State<T>>,
    changed: Condvar,
    window: u64,
}

impl<T> OrderedQueue<T> {
    /// A queue holding at most about `window` bytes of items that wait for their turn.
    pub fn new(window: u64) -> Self {
        OrderedQueue {
            state: Mutex::new(State {
                head: 0,
                end: None,
                slots: BTreeMap::new(),
                held: 0,
                stopped: false,
                failed: None,
            }),
            changed: Condvar::new(),
            window,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A worker that panicked while holding the lock leaves the state consistent (every
        // change is a single step), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens unit `seq` (units must be opened in increasing order, before their items).
    pub fn open(&self, seq: u64) {
        let mut s = self.lock();
        s.slots.insert(
            seq,
            Slot {
                items: VecDeque::new(),
                done: false,
            },
        );
        self.changed.notify_all();
    }

    /// Declares that no unit numbered `end` or above will be opened.
    pub fn close(&self, end: u64) {
        self.lock().end = Some(end);
        self.changed.notify_all();
    }

    /// Adds `item` (weighing `bytes`) to unit `seq`, waiting for room in the window.
    pub fn push(&self, seq: u64, item: T, bytes: u64) -> Result<(), Stopped> {
        let mut s = self.lock();
        loop {
            if s.stopped {
                return Err(Stopped);
            }
            let head_and_empty =
                s.head == seq && s.slots.get(&seq).is_some_and(|x| x.items.is_empty());
            if head_and_empty || s.held + bytes <= self.window {
                break;
            }
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        s.held += bytes;
        if let Some(slot) = s.slots.get_mut(&seq) {
            slot.items.push_back((item, bytes));
        }
        self.changed.notify_all();
        Ok(())
    }

    /// Marks unit `seq` complete.
    pub fn finish(&self, seq: u64) {
        if let Some(slot) = self.lock().slots.get_mut(&seq) {
            slot.done = true;
        }
        self.changed.notify_all();
    }

    /// The next item in unit order; `Ok(None)` when every unit is drained, `Err` with the
    /// message of a worker that failed ([`OrderedQueue::fail`]).
    pub fn pop(&self) -> Result<Option<T>, String> {
        let mut s = self.lock();
        loop {
            if let Some(msg) = &s.failed {
                return Err(msg.clone());
            }
            let head = s.head;
            if let Some(slot) = s.slots.get_mut(&head) {
                if let Some((item, bytes)) = slot.items.pop_front() {
                    s.held -= bytes;
                    self.changed.notify_all();
                    return Ok(Some(item));
                }
                if slot.done {
                    s.slots.remove(&head);
                    s.head += 1;
                    self.changed.notify_all();
                    continue;
                }
            } else if s.end == Some(head) {
                return Ok(None);
            }
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Whether the consumer stopped (or a worker failed).
    pub fn is_stopped(&self) -> bool {
        self.lock().stopped
    }

    /// Tells the workers to stop (their next [`OrderedQueue::push`] fails).
    pub fn stop(&self) {
        self.lock().stopped = true;
        self.changed.notify_all();
    }

    /// Records that a worker failed: the consumer's next [`OrderedQueue::pop`] returns it.
    pub fn fail(&self, message: String) {
        let mut s = self.lock();
        s.failed.get_or_insert(message);
        s.stopped = true;
        self.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn items_come_out_in_unit_order_within_the_window() {
        let units = 40u64;
        let q = OrderedQueue::<(u64, u64)>::new(5);
        let next = AtomicU64::new(0);
        let opener = Mutex::new(());
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| loop {
                    let seq = {
                        let _g = opener.lock().unwrap();
                        let seq = next.fetch_add(1, Ordering::SeqCst);
                        if seq >= units {
                            q.close(units);
                            return;
                        }
                        q.open(seq);
                        seq
                    };
                    for k in 0..(seq % 7) {
                        if seq % 3 == 0 {
                            std::thread::yield_now();
                        }
                        q.push(seq, (seq, k), 2).unwrap();
                    }
                    q.finish(seq);
                });
            }
            let mut got = Vec::new();
            while let Some(x) = q.pop().unwrap() {
                assert!(q.lock().held <= 5 + 2);
                got.push(x);
            }
            let want: Vec<(u64, u64)> = (0..units)
                .flat_map(|s| (0..s % 7).map(move |k| (s, k)))
                .collect();
            assert_eq!(got, want);
        });
    }

    #[test]
    fn a_stopped_queue_refuses_pushes_and_a_failure_reaches_the_consumer() {
        let q = OrderedQueue::<u8>::new(1);
        q.open(0);
        q.fail("worker panicked".into());
        assert_eq!(q.push(0, 1, 1), Err(Stopped));
        assert_eq!(q.pop(), Err("worker panicked".into()));
    }
}
