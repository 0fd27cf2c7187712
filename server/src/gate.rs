//! Admission control for CPU-bound work: at most `workers` requests compute at once, as jobs
//! of rayon's pool, at most `queue` more wait; the rest are refused at once (503), and a
//! request past its deadline is answered 504.
//!
//! The work runs on the pool itself, not on a blocking thread that would hand each of its
//! parallel steps to the pool: a hop fewer each way, each a parked thread woken
//! (benches/RESULTS.md, "Traces run on the pool").

use crate::error::ApiError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The bounded pool in front of the query engine.
pub struct Gate {
    permits: Arc<Semaphore>,
    admitted: Arc<AtomicUsize>,
    limit: usize,
    deadline: Duration,
}

/// Decrements the admitted count when the request is done (or abandoned while waiting).
struct Admitted(Arc<AtomicUsize>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Gate {
    /// A gate with `workers` computing slots and `queue` waiting slots.
    pub fn new(workers: usize, queue: usize, deadline: Duration) -> Gate {
        Gate {
            permits: Arc::new(Semaphore::new(workers.max(1))),
            admitted: Arc::new(AtomicUsize::new(0)),
            limit: workers.max(1) + queue,
            deadline,
        }
    }

    /// Requests admitted now (computing or waiting).
    pub fn in_flight(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }

    /// Runs `work` as a job of rayon's pool once a worker is free; a panic in it is answered
    /// as an internal error, as the server goes on.
    pub async fn run<R, F>(&self, work: F) -> Result<R, ApiError>
    where
        F: FnOnce() -> Result<R, ApiError> + Send + 'static,
        R: Send + 'static,
    {
        if self.admitted.fetch_add(1, Ordering::AcqRel) >= self.limit {
            self.admitted.fetch_sub(1, Ordering::AcqRel);
            return Err(ApiError::Overloaded);
        }
        let admitted = Admitted(self.admitted.clone());
        let permits = self.permits.clone();
        let job = async move {
            let permit = permits
                .acquire_owned()
                .await
                .map_err(|_| ApiError::Internal("worker pool closed".into()))?;
            let (done, answer) = tokio::sync::oneshot::channel();
            // The slot stays taken until the work really ends, even after a 504.
            rayon::spawn(move || {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
                    .unwrap_or_else(|panic| {
                        Err(ApiError::Internal(format!(
                            "worker failed: {}",
                            panic_message(panic.as_ref())
                        )))
                    });
                // The work has ended: its slot is free before anyone sees the answer (a client
                // that asks `/metrics` next finds it counted out).
                drop(permit);
                drop(admitted);
                // The request may have timed out and stopped waiting: nothing to answer then.
                let _ = done.send(result);
            });
            answer
                .await
                .map_err(|_| ApiError::Internal("worker ended without an answer".into()))?
        };
        match tokio::time::timeout(self.deadline, job).await {
            Ok(r) => r,
            Err(_) => Err(ApiError::Timeout(self.deadline.as_millis() as u64)),
        }
    }
}

/// The message of a caught panic (`panic!` with a string or a formatted one), or a stand-in.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic without a message")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> Gate {
        Gate::new(2, 2, Duration::from_secs(30))
    }

    #[tokio::test]
    async fn work_runs_on_the_pool_and_answers() {
        let g = gate();
        let on_pool = g
            .run(|| Ok(rayon::current_thread_index().is_some()))
            .await
            .expect("an answer");
        assert!(on_pool);
    }

    #[tokio::test]
    async fn a_request_is_counted_out_before_its_answer_arrives() {
        let g = gate();
        for _ in 0..200 {
            g.run(|| Ok(())).await.expect("an answer");
            assert_eq!(g.in_flight(), 0);
        }
    }

    #[tokio::test]
    async fn a_panic_is_an_internal_error_and_frees_its_slot() {
        let g = gate();
        let err = g
            .run(|| -> Result<(), ApiError> { panic!("boom {}", 7) })
            .await
            .expect_err("the panic is answered as an error");
        match err {
            ApiError::Internal(m) => assert_eq!(m, "worker failed: boom 7"),
            other => panic!("expected an internal error, got {other:?}"),
        }
        assert_eq!(g.in_flight(), 0);
        assert_eq!(g.run(|| Ok(5)).await.expect("the gate still works"), 5);
    }

    #[tokio::test]
    async fn work_past_the_deadline_is_answered_504_and_keeps_its_slot_until_it_ends() {
        let g = Gate::new(1, 0, Duration::from_millis(20));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let err = g
            .run(move || {
                let _ = wait.recv();
                Ok(())
            })
            .await
            .expect_err("past the deadline");
        assert!(matches!(err, ApiError::Timeout(20)), "{err:?}");
        assert_eq!(g.in_flight(), 1, "the work still runs");
        assert!(matches!(g.run(|| Ok(())).await, Err(ApiError::Overloaded)));
        release.send(()).expect("the work waits");
        while g.in_flight() > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        g.run(|| Ok(())).await.expect("the slot is free again");
    }
}
