//! The host side of a fit's round hook: checks for query cancel (`pg_cancel_backend`,
//! `statement_timeout`) after every round, so a long training stops promptly and leaves nothing
//! behind (nothing is written before the fit ends), and sends a progress NOTICE at most every
//! `aimass.progress_interval` seconds.

use std::cell::Cell;
use std::time::{Duration, Instant};

use crate::core::algorithms::Progress;
use crate::core::error::Result;

pub fn reporter() -> impl Fn(&Progress<'_>) -> Result<()> {
    let interval = crate::gucs::PROGRESS_INTERVAL.get();
    let last = Cell::new(Instant::now());
    move |p: &Progress<'_>| {
        crate::core::interrupt::check()?;
        if interval < 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        if interval == 0.0 || now.duration_since(last.get()) >= Duration::from_secs_f64(interval) {
            last.set(now);
            let mut line = format!("{}: round {} of {}", p.stage, p.round, p.total);
            if let Some(s) = p.score {
                line += &format!(", {} {s:.6}", p.metric);
            }
            if let Some(b) = p.best {
                line += &format!(", best {b:.6}");
            }
            crate::error::notice(line);
        }
        Ok(())
    }
}
