//! A per-thread array of numbers by fragment, cleared in O(1): an entry is valid when its
//! generation is the array's current one, so no clearing and no allocation per use.

use std::cell::Cell;
use std::thread::LocalKey;

/// One thread's array, taken for one use (a numbering, or one text's distinct words).
pub(super) struct Slots {
    generation: u32,
    slots: Vec<(u32, u32)>,
}

/// Where a kind of use keeps its thread's array between uses.
pub(super) type SlotsHome = LocalKey<Cell<Option<Slots>>>;

impl Slots {
    /// This thread's array from `home`, at a new generation, with room for `len` entries.
    pub(super) fn take(home: &'static SlotsHome, len: usize) -> Slots {
        let mut s = home.with(|c| c.take()).unwrap_or(Slots {
            generation: 0,
            slots: Vec::new(),
        });
        s.generation = s.generation.wrapping_add(1);
        if s.generation == 0 {
            s.slots.iter_mut().for_each(|e| *e = (0, 0));
            s.generation = 1;
        }
        if s.slots.len() < len {
            s.slots.resize(len, (0, 0));
        }
        s
    }

    /// Gives the array back to `home` for the thread's next use.
    pub(super) fn put_back(self, home: &'static SlotsHome) {
        home.with(|c| c.set(Some(self)));
    }

    /// An empty array (holds nothing; for `std::mem::replace`).
    pub(super) fn empty() -> Slots {
        Slots {
            generation: 0,
            slots: Vec::new(),
        }
    }

    /// The number set for entry `i` in this use, if any.
    #[inline]
    pub(super) fn get(&self, i: u32) -> Option<u32> {
        let (g, n) = self.slots[i as usize];
        (g == self.generation).then_some(n)
    }

    /// Sets entry `i` to `n` for this use.
    #[inline]
    pub(super) fn set(&mut self, i: u32, n: u32) {
        self.slots[i as usize] = (self.generation, n);
    }
}
