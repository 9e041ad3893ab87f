//! Progress of a build, stage by stage: a trait the caller picks, quiet
//! (tests, logs) or terminal bars (indicatif). The library prints nothing
//! by itself.
use std::{collections::BTreeMap, sync::Mutex, time::Duration};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Drawing the city from the plan.
    Plan,
    /// Bodies, units, posts, powers, officers, credentials.
    Registry,
    /// The departments' facts, over their SubmitFacts streams.
    Facts,
    /// The legal-affairs office's facts (case-file reviews, Art. 8 scores,
    /// the city-wide course).
    Office,
    /// What departments do afterwards: voids, the backdated card.
    Afterwards,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Plan => "规划 drawing the city",
            Stage::Registry => "登记 registry",
            Stage::Facts => "事实 departments' facts",
            Stage::Office => "法制机构 the office's facts",
            Stage::Afterwards => "事后 voids and the backdated card",
        }
    }
}

pub trait Progress: Send + Sync {
    /// A stage starts with this many steps (0: not known).
    fn begin(&self, stage: Stage, total: u64);
    fn advance(&self, stage: Stage, n: u64);
    fn finish(&self, stage: Stage);
}

/// Says nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn begin(&self, _: Stage, _: u64) {}
    fn advance(&self, _: Stage, _: u64) {}
    fn finish(&self, _: Stage) {}
}

/// A bar per stage on the terminal (hidden when it is not one).
#[derive(Default)]
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<BTreeMap<Stage, ProgressBar>>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars::default()
    }

    fn bar(&self, stage: Stage) -> Option<ProgressBar> {
        self.bars.lock().ok()?.get(&stage).cloned()
    }
}

impl Progress for Bars {
    fn begin(&self, stage: Stage, total: u64) {
        let b = self.multi.add(ProgressBar::new(total));
        let template = if total > 0 {
            "{spinner} {msg:<34} {bar:30} {pos}/{len} [{elapsed_precise}, {per_sec}]"
        } else {
            "{spinner} {msg:<34} {pos} [{elapsed_precise}, {per_sec}]"
        };
        b.set_style(
            ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_message(stage.label());
        b.enable_steady_tick(Duration::from_millis(200));
        if let Ok(mut m) = self.bars.lock() {
            m.insert(stage, b);
        }
    }

    fn advance(&self, stage: Stage, n: u64) {
        if let Some(b) = self.bar(stage) {
            b.inc(n);
        }
    }

    fn finish(&self, stage: Stage) {
        if let Some(b) = self.bar(stage) {
            b.finish();
        }
    }
}
