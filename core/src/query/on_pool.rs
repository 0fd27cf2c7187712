//! Running a whole query on a thread of rayon's pool.
//!
//! A trace takes several parallel steps (search rounds, document sampling, window words,
//! records). Called from a thread outside the pool (the server's blocking threads, the CLI,
//! a bench), each step is handed to the pool as a job the caller sleeps on, so every step
//! costs a thread wake-up each way. Run on a pool thread, the steps split from there and the
//! caller waits once: 0.1 ms off a 0.8 ms trace at 121M tokens (benches/RESULTS.md, "Traces
//! run on the pool").

/// Runs `f` on a thread of rayon's pool and returns its result: at once when the caller is
/// a pool thread already (of any pool, so a caller inside its own pool keeps it), otherwise
/// as one job of the global pool that the caller waits for.
pub(crate) fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() {
        f()
    } else {
        rayon::scope(|_| f())
    }
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
