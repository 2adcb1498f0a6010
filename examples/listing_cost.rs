//! Cost of the view check's walk: `cargo run --release --example listing_cost [FILES]`.
//! Builds FILES small files (default 20000) in 50 folders of a temporary `models/`, then prints
//! the median of 5 `listing::list` calls (warm cache, as right after an install's steps).

use std::time::{Duration, Instant};

fn main() {
    let n: usize = std::env::args().nth(1).map_or(20_000, |a| a.parse().expect("FILES: a number"));
    let t = tempfile::tempdir().expect("temp dir");
    let models = t.path().join("models");
    for i in 0..n {
        let dir = models.join(format!("loras/sub{}", i % 50));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join(format!("m{i:06}.safetensors")), b"0123456789").expect("write");
    }
    let mut times: Vec<Duration> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let l = comfydoctor::listing::list(&models);
            let took = start.elapsed();
            assert_eq!(l.counts.files, n);
            took
        })
        .collect();
    times.sort();
    let median = times[2];
    let per_file = median.as_secs_f64() * 1e6 / n.max(1) as f64;
    println!(
        "{n} files: median {:.1} ms, {per_file:.2} µs per file, {:.0} files/s",
        median.as_secs_f64() * 1e3,
        n as f64 / median.as_secs_f64()
    );
}
