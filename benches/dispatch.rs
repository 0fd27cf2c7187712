//! What one rayon parallel step costs when called from outside the pool, as a query does:
//! back to back, and after the pool has been idle for a while (its workers asleep).
//!
//! ```text
//! cargo bench --bench dispatch            # the caller busy-waits between steps
//! cargo bench --bench dispatch -- --sleep # the caller sleeps between steps
//! ```
//!
//! Each step is `par_chunks(16)` over 64 numbers, summed; 2,000 steps per idle gap (0, 50,
//! 200 and 1,000 µs); p50 and p90 of each gap's steps are printed.

use rayon::prelude::*;
use std::time::{Duration, Instant};

fn main() {
    let sleep = std::env::args().any(|a| a == "--sleep");
    let numbers: Vec<u64> = (0..64).collect();
    for gap_us in [0u64, 50, 200, 1000] {
        let mut times: Vec<f64> = Vec::with_capacity(2000);
        for _ in 0..2000 {
            if gap_us > 0 {
                if sleep {
                    std::thread::sleep(Duration::from_micros(gap_us));
                } else {
                    let t = Instant::now();
                    while t.elapsed() < Duration::from_micros(gap_us) {}
                }
            }
            let t = Instant::now();
            let sum: u64 = numbers.par_chunks(16).map(|c| c.iter().sum::<u64>()).sum();
            std::hint::black_box(sum);
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "idle gap {gap_us} µs ({}): one parallel step p50 {:.1} µs, p90 {:.1} µs",
            if sleep {
                "caller sleeps"
            } else {
                "caller busy-waits"
            },
            times[times.len() / 2],
            times[times.len() * 9 / 10]
        );
    }
}
