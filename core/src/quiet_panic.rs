//! Catching the panics of a dependency that asserts on damaged data (tantivy on a flipped
//! byte of a fast-field file, fst on a damaged map) without printing them: the caller turns
//! the panic into an error with its own message, and the default panic hook printed the
//! panic first (with `RUST_BACKTRACE` set, a backtrace of 80 frames), so a clean refusal
//! looked like a crash.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};

thread_local! {
    /// How many [`catch_quietly`] calls this thread is inside.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic caught quietly on this thread was raised (`file:line:column`).
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A panic caught by [`catch_quietly`]: its message and where it was raised, for the error
/// that reports it (a bug of verbatim's own is then found by its location).
pub(crate) struct CaughtPanic {
    /// The panic's message (empty when it was not a string).
    pub message: String,
    /// `file:line:column`, when the hook saw it.
    pub location: Option<String>,
}

/// Runs `f`, catching a panic in it as [`std::panic::catch_unwind`] does, but without the
/// panic hook printing it. Panics elsewhere, and on other threads, are printed as before.
///
/// `f` must not start rayon work (`join`, `scope`, parallel iterators) from a thread of a
/// pool: waiting there, the thread may run other jobs, whose panics would then go unprinted.
pub(crate) fn catch_quietly<T>(f: impl FnOnce() -> T) -> Result<T, CaughtPanic> {
    install_hook();
    DEPTH.with(|d| d.set(d.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    DEPTH.with(|d| d.set(d.get() - 1));
    outcome.map_err(|payload| CaughtPanic {
        message: payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default(),
        location: LOCATION.with(|l| l.borrow_mut().take()),
    })
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
            } else {
                let at = info.location().map(|l| l.to_string());
                LOCATION.with(|l| *l.borrow_mut() = at);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_is_an_error_with_its_place_and_the_depth_is_restored() {
        let caught = catch_quietly(|| panic!("damaged")).err().unwrap();
        assert_eq!(caught.message, "damaged");
        assert!(
            caught
                .location
                .as_deref()
                .is_some_and(|l| l.contains("quiet_panic.rs")),
            "{:?}",
            caught.location
        );
        assert!(matches!(catch_quietly(|| 7), Ok(7)));
        assert_eq!(DEPTH.with(|d| d.get()), 0);
    }
}
