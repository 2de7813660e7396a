//! A tiny timing harness: runs a closure in batches and reports the median time per call.
use std::time::{Duration, Instant};

pub fn measure<F: FnMut()>(name: &str, iterations: u32, mut f: F) -> Duration {
    for _ in 0..iterations.min(100) {
        f();
    }
    let mut samples = Vec::new();
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..iterations {
            f();
        }
        samples.push(start.elapsed() / iterations);
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    println!("{name:<60} {:>12.2} µs/op  (min {:.2}, max {:.2})", as_us(median), as_us(samples[0]), as_us(samples[6]));
    median
}

pub fn as_us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
