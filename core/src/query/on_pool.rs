//! Running a whole query on a thread of rayon's pool.
//!
//! A trace takes several parallel steps (search rounds, document sampling, window words,
//! records). Called from a thread outside the pool (the CLI, a bench, a program using the
//! library), each step would be handed to the pool as a job the caller sleeps on, a thread
//! wake-up each way per step. Run on a pool thread, the steps split from there and the caller
//! waits once: trace p50 0.86 -> 0.72 ms at 121M tokens (benches/RESULTS.md, "Traces run on
//! the pool"). The server's gate already runs its work on the pool, so there this costs
//! nothing.

/// Runs `f` on a thread of rayon's pool and returns its result: `rayon::scope` runs it at
/// once when the caller is a pool thread already (of any pool, so a caller inside its own
/// pool keeps it), otherwise as one job of the global pool that the caller waits for.
pub(crate) fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

#[cfg(test)]
mod tests {
    use super::on_pool;

    #[test]
    fn work_from_outside_the_pool_runs_on_a_pool_thread() {
        std::thread::spawn(|| {
            assert_eq!(rayon::current_thread_index(), None);
            assert!(on_pool(rayon::current_thread_index).is_some());
            assert_eq!(on_pool(|| 6 * 7), 42);
        })
        .join()
        .expect("the test thread ends");
    }

    #[test]
    fn work_on_a_pool_thread_stays_on_that_thread() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a pool of two threads");
        pool.install(|| {
            let here = std::thread::current().id();
            assert_eq!(on_pool(|| std::thread::current().id()), here);
        });
    }
}
