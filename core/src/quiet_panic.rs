//! Catching the panics of a dependency that asserts on damaged data (tantivy on a flipped
//! byte of a fast-field file, fst on a damaged map) without printing them: the caller turns
//! the panic into an error with its own message, and the default panic hook printed the
//! panic first (with `RUST_BACKTRACE` set, a backtrace of 80 frames), so a clean refusal
//! looked like a crash.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    /// How many [`catch_quietly`] calls this thread is inside.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f`, catching a panic in it as [`std::panic::catch_unwind`] does, but without the
/// panic hook printing it. Panics elsewhere, and on other threads, are printed as before.
pub(crate) fn catch_quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    install_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    outcome
}

/// Installs, once, a panic hook that prints nothing for a panic inside [`catch_quietly`] on
/// this thread and hands every other panic to the hook installed before it.
fn install_hook() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if DEPTH.with(|d| d.get()) == 0 {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_is_an_error_and_the_depth_is_restored() {
        assert!(catch_quietly(|| panic!("damaged")).is_err());
        assert_eq!(catch_quietly(|| 7).unwrap(), 7);
        assert_eq!(DEPTH.with(|d| d.get()), 0);
    }
}
