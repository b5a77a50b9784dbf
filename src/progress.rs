//! Progress of long work (a sweep's runs, a run's months) on standard error: an indicatif bar on a
//! terminal; elsewhere — a Slurm or CI log, a file — one plain line every few seconds (done/total,
//! rate, time left) — one at the start, one every interval, one at the end — so a log shows a job
//! began, is alive, how far it has got and that it finished, without carriage-return noise.
//!
//! `FRACTURE_PROGRESS_SECONDS` sets the seconds between plain lines (default 10; 0 prints one line per
//! step, for tests).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Seconds between plain progress lines when standard error is not a terminal.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(10);

/// A progress display: a bar, plain lines, or nothing.
pub struct Progress {
    kind: Kind,
}

enum Kind {
    Hidden,
    Bar {
        bar: ProgressBar,
        /// Show the bar only once the work has taken this long (`None`: at once).
        after: Option<Duration>,
        started: Instant,
    },
    Lines(Lines),
}

struct Lines {
    label: String,
    unit: &'static str,
    total: u64,
    done: AtomicU64,
    started: Instant,
    last: Mutex<Instant>,
    every: Duration,
    /// The count the last printed line gave (`u64::MAX`: none yet).
    printed: AtomicU64,
}

impl Progress {
    /// Progress over `total` steps named `unit` ("runs", "months"), prefixed by `label` on plain lines.
    /// Nothing when `wanted` is false. On a terminal the bar appears only once the work has taken
    /// `bar_after` (`None`: at once); plain lines always wait their interval.
    pub fn new(
        label: impl Into<String>,
        unit: &'static str,
        total: u64,
        wanted: bool,
        bar_after: Option<Duration>,
    ) -> Progress {
        let kind = if !wanted {
            Kind::Hidden
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit}, {{per_sec}}, {{eta}} left"
                ))
                .expect("valid template")
                .progress_chars("=> "),
            );
            bar.set_message(label.into());
            if bar_after.is_none() {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            Kind::Bar {
                bar,
                after: bar_after,
                started: Instant::now(),
            }
        } else {
            let now = Instant::now();
            let lines = Lines {
                label: label.into(),
                unit,
                total,
                done: AtomicU64::new(0),
                started: now,
                last: Mutex::new(now),
                every: every(),
                printed: AtomicU64::new(u64::MAX),
            };
            // A log shows the work began, whatever its length.
            lines.print(0, now);
            Kind::Lines(lines)
        };
        Progress { kind }
    }

    /// One more step done (callable from many threads).
    pub fn inc(&self) {
        match &self.kind {
            Kind::Hidden => {}
            Kind::Bar { bar, .. } => {
                self.reveal();
                bar.inc(1)
            }
            Kind::Lines(l) => {
                let done = l.done.fetch_add(1, Ordering::Relaxed) + 1;
                l.maybe_print(done);
            }
        }
    }

    /// `done` steps done in all.
    pub fn set(&self, done: u64) {
        match &self.kind {
            Kind::Hidden => {}
            Kind::Bar { bar, .. } => {
                self.reveal();
                bar.set_position(done)
            }
            Kind::Lines(l) => {
                l.done.store(done, Ordering::Relaxed);
                l.maybe_print(done);
            }
        }
    }

    /// Clears the bar; in a log, prints the last count (100 % when all is done) unless the last line
    /// printed already said it.
    pub fn finish(&self) {
        match &self.kind {
            Kind::Bar { bar, .. } => bar.finish_and_clear(),
            Kind::Lines(l) => {
                let done = l.done.load(Ordering::Relaxed);
                if l.printed.load(Ordering::Relaxed) != done {
                    l.print(done, Instant::now());
                }
            }
            Kind::Hidden => {}
        }
    }

    fn reveal(&self) {
        if let Kind::Bar {
            bar,
            after: Some(after),
            started,
        } = &self.kind
            && bar.is_hidden()
            && started.elapsed() >= *after
        {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}

impl Lines {
    fn maybe_print(&self, done: u64) {
        let now = Instant::now();
        // One thread prints; the others go on (a line skipped is printed at the next step).
        let Ok(mut last) = self.last.try_lock() else {
            return;
        };
        if now.duration_since(*last) < self.every {
            return;
        }
        *last = now;
        self.print(done, now);
    }

    fn print(&self, done: u64, now: Instant) {
        self.printed.store(done, Ordering::Relaxed);
        let line = line(
            &self.label,
            self.unit,
            done,
            self.total,
            now.duration_since(self.started),
        );
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
}

fn every() -> Duration {
    std::env::var("FRACTURE_PROGRESS_SECONDS")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(DEFAULT_EVERY, Duration::from_secs_f64)
}

/// A plain progress line: `LABEL: 120/768 runs (15.6 %), 42.1 runs/s, 15 s left`.
pub fn line(label: &str, unit: &str, done: u64, total: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 { done as f64 / secs } else { 0.0 };
    let pct = if total > 0 {
        100.0 * done as f64 / total as f64
    } else {
        100.0
    };
    let left = if done >= total {
        "done".to_string()
    } else if rate > 0.0 {
        format!("{} left", duration((total - done) as f64 / rate))
    } else {
        "time left unknown".to_string()
    };
    let rate = if rate >= 10.0 {
        format!("{rate:.0}")
    } else {
        format!("{rate:.2}")
    };
    format!("{label}: {done}/{total} {unit} ({pct:.1} %), {rate} {unit}/s, {left}")
}

/// Seconds as a person reads them: `42 s`, `3 min 20 s`, `2 h 05 min`.
pub fn duration(secs: f64) -> String {
    let s = secs.round().max(0.0) as u64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_give_count_share_rate_and_time_left() {
        assert_eq!(
            line("sweep x", "runs", 120, 768, Duration::from_secs(4)),
            "sweep x: 120/768 runs (15.6 %), 30 runs/s, 22 s left"
        );
        assert_eq!(
            line("baseline", "months", 3, 120, Duration::from_secs(2)),
            "baseline: 3/120 months (2.5 %), 1.50 months/s, 1 min 18 s left"
        );
        assert!(line("s", "runs", 0, 10, Duration::ZERO).ends_with("time left unknown"));
        assert!(line("s", "runs", 10, 10, Duration::from_secs(1)).ends_with("done"));
        assert_eq!(duration(7325.0), "2 h 02 min");
    }
}
