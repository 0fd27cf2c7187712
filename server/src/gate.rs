//! Admission control for CPU-bound work: at most `workers` requests compute at once on
//! blocking threads, at most `queue` more wait; the rest are refused at once (503), and a
//! request past its deadline is answered 504.

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

    /// Runs `work` on a blocking thread once a worker is free.
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
            // The slot stays taken until the work really ends, even after a 504.
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                let _admitted = admitted;
                work()
            })
            .await
            .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))?
        };
        match tokio::time::timeout(self.deadline, job).await {
            Ok(r) => r,
            Err(_) => Err(ApiError::Timeout(self.deadline.as_millis() as u64)),
        }
    }
}
