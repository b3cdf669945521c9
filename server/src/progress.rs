//! Progress of long jobs (the demo load, imports, exports, index builds): a bar on standard
//! error when it is a terminal and the job runs past [`SHOW_AFTER`]; elsewhere plain log lines
//! with the counts — one while a long job runs (every [`LOG_EVERY`]) and one when it ends — so
//! that CI logs and log collectors never see a control character.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A job quicker than this draws no bar and logs no line of its own.
pub const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Without a terminal, a running job logs its count this often.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// How often a shown bar is redrawn (its spinner turns even while the count stands still).
const TICK: Duration = Duration::from_millis(120);

/// One long job's progress: cheap to clone, to share with worker threads and to count from
/// them.
#[derive(Debug, Clone)]
pub struct Progress {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    job: String,
    unit: &'static str,
    /// 0: not known.
    total: AtomicU64,
    done: AtomicU64,
    started: Instant,
    /// Milliseconds after `started` of the last log line.
    logged_ms: AtomicU64,
    finished: AtomicBool,
    /// Only when standard error is a terminal; hidden until the job has run [`SHOW_AFTER`].
    bar: Option<ProgressBar>,
}

impl Progress {
    /// Starts following `job`, counted in `unit` (`"records"`, `"features"`), of `total` if it
    /// is known.
    pub fn new(job: impl Into<String>, total: Option<u64>, unit: &'static str) -> Self {
        let job = job.into();
        let bar = std::io::stderr().is_terminal().then(|| bar(&job, total));
        let inner = Arc::new(Inner {
            job,
            unit,
            total: AtomicU64::new(total.unwrap_or(0)),
            done: AtomicU64::new(0),
            started: Instant::now(),
            logged_ms: AtomicU64::new(0),
            finished: AtomicBool::new(false),
            bar,
        });
        if inner.bar.is_some() {
            show_later(Arc::downgrade(&inner));
        }
        Self { inner }
    }

    /// A job without a count (a spinner): an index build, one file written.
    pub fn spinner(job: impl Into<String>) -> Self {
        Self::new(job, None, "")
    }

    /// Counts `n` more done.
    pub fn inc(&self, n: u64) {
        let done = self.inner.done.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(bar) = &self.inner.bar {
            bar.set_position(done);
        }
        self.log_if_due();
    }

    /// Sets how many are done.
    pub fn set(&self, done: u64) {
        self.inner.done.store(done, Ordering::Relaxed);
        if let Some(bar) = &self.inner.bar {
            bar.set_position(done);
        }
        self.log_if_due();
    }

    /// Sets the total, once it is known.
    pub fn set_total(&self, total: u64) {
        self.inner.total.store(total, Ordering::Relaxed);
        if let Some(bar) = &self.inner.bar {
            bar.set_length(total);
            bar.set_style(style(true));
        }
    }

    /// Names the stage the job is in now (shown beside the bar, logged with the count).
    pub fn stage(&self, stage: &str) {
        if let Some(bar) = &self.inner.bar {
            bar.set_message(format!("{}: {stage}", self.inner.job));
        }
        if self.inner.started.elapsed() >= SHOW_AFTER && self.inner.bar.is_none() {
            tracing::info!(job = %self.inner.job, stage, "working");
        }
    }

    /// How many are done.
    pub fn done(&self) -> u64 {
        self.inner.done.load(Ordering::Relaxed)
    }

    /// Ends the job: the bar is cleared, and a job that ran past [`SHOW_AFTER`] logs its count
    /// and time.
    pub fn finish(&self) {
        self.inner.finish();
    }

    /// Runs `work` with a spinner named `job` (shown if it takes over [`SHOW_AFTER`]).
    pub async fn around<T>(job: impl Into<String>, work: impl std::future::Future<Output = T>) -> T {
        let progress = Self::spinner(job);
        let out = work.await;
        progress.finish();
        out
    }

    fn log_if_due(&self) {
        if self.inner.bar.is_some() {
            return;
        }
        let now = u64::try_from(self.inner.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let last = self.inner.logged_ms.load(Ordering::Relaxed);
        let every = u64::try_from(LOG_EVERY.as_millis()).unwrap_or(u64::MAX);
        if now >= last.saturating_add(every)
            && self.inner.logged_ms.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
        {
            let total = self.inner.total.load(Ordering::Relaxed);
            tracing::info!(job = %self.inner.job, done = self.done(), total, unit = self.inner.unit, "in progress");
        }
    }
}

impl Inner {
    fn finish(&self) {
        if self.finished.swap(true, Ordering::Relaxed) {
            return;
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let secs = self.started.elapsed().as_secs_f64();
        if self.started.elapsed() >= SHOW_AFTER {
            let (done, total) = (self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed));
            tracing::info!(job = %self.job, done, total, unit = self.unit, secs = (secs * 10.0).round() / 10.0, "finished");
        }
    }
}

impl Drop for Inner {
    /// A job dropped unfinished (an error returned early) clears its bar.
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            if !self.finished.load(Ordering::Relaxed) {
                bar.finish_and_clear();
            }
        }
    }
}

/// A hidden bar (or spinner, without a total) for `job`.
fn bar(job: &str, total: Option<u64>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
    bar.set_style(style(total.is_some()));
    bar.set_message(job.to_owned());
    bar
}

/// A bar with counts and the time left, or a spinner with the count and the time spent.
fn style(counted: bool) -> ProgressStyle {
    let template = if counted {
        "{spinner} {msg} [{wide_bar}] {human_pos}/{human_len} ({eta} left)"
    } else {
        "{spinner} {msg} {human_pos} ({elapsed})"
    };
    ProgressStyle::with_template(template).map_or_else(|_| ProgressStyle::default_spinner(), |s| s.progress_chars("=> "))
}

/// Shows the bar once the job has run [`SHOW_AFTER`], unless it finished first.
fn show_later(job: Weak<Inner>) {
    let shown = std::thread::Builder::new().name("progress".into()).spawn(move || {
        std::thread::sleep(SHOW_AFTER);
        let Some(inner) = job.upgrade() else { return };
        if let (Some(bar), false) = (&inner.bar, inner.finished.load(Ordering::Relaxed)) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(TICK);
        }
    });
    if let Err(e) = shown {
        tracing::debug!(error = %e, "no progress bar: cannot start its thread");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_many_threads_and_finishes_once() {
        let p = Progress::new("test job", Some(4_000), "rows");
        std::thread::scope(|s| {
            for _ in 0..4 {
                let p = p.clone();
                s.spawn(move || (0..1_000).for_each(|_| p.inc(1)));
            }
        });
        assert_eq!(p.done(), 4_000);
        p.set(10);
        assert_eq!(p.done(), 10);
        p.finish();
        p.finish();
        assert!(p.inner.finished.load(Ordering::Relaxed));
    }
}
