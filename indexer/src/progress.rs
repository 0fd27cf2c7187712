//! Progress bars for the build stages (hidden when stderr is not a terminal or when off).

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The build's progress display.
pub struct Progress {
    _multi: MultiProgress,
    input: ProgressBar,
    stage: ProgressBar,
    tokens: AtomicU64,
    ticker: Option<std::thread::JoinHandle<()>>,
    stop: Arc<AtomicU64>,
}

impl Progress {
    /// A display over `total_bytes` of input; `read` is advanced by the reader thread.
    pub fn new(enabled: bool, total_bytes: u64, read: Arc<AtomicU64>) -> Progress {
        let target = if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let input = multi.add(ProgressBar::new(total_bytes));
        input.set_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{bar:30}] {bytes}/{total_bytes} ({binary_bytes_per_sec}, eta {eta}) {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        input.set_prefix("input");
        let stage = multi.add(ProgressBar::new_spinner());
        stage.set_style(
            ProgressStyle::with_template("{prefix:>10} {spinner} {msg} ({elapsed})")
                .expect("valid template"),
        );
        stage.set_prefix("stage");
        stage.set_message("reading and tokenizing");
        stage.enable_steady_tick(Duration::from_millis(200));
        let stop = Arc::new(AtomicU64::new(0));
        let ticker = enabled.then(|| {
            let input = input.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                while stop.load(Ordering::Relaxed) == 0 {
                    input.set_position(read.load(Ordering::Relaxed));
                    std::thread::sleep(Duration::from_millis(100));
                }
                input.set_position(read.load(Ordering::Relaxed));
            })
        });
        Progress {
            _multi: multi,
            input,
            stage,
            tokens: AtomicU64::new(0),
            ticker,
            stop,
        }
    }

    /// Names the stage now running.
    pub fn stage(&self, what: &str) {
        self.stage.set_message(what.to_string());
    }

    /// Counts tokens added, shown beside the input bar.
    pub fn add_tokens(&self, n: u64) {
        let t = self.tokens.fetch_add(n, Ordering::Relaxed) + n;
        if t % (1 << 20) < n {
            self.input
                .set_message(format!("{:.1}M tokens", t as f64 / 1e6));
        }
    }

    /// Clears the bars.
    pub fn finish(&self) {
        self.stop.store(1, Ordering::Relaxed);
        self.input.finish();
        self.stage.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(1, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
    }
}
