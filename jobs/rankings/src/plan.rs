//! The year's assessment plan (年度行政执法责任制工作方案, Art. 8(11), 9(12)):
//! a versioned TOML file, not code. Loading refuses a plan that names an
//! unknown indicator or whose weights do not make sense, with the key.
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::indicators;

/// The plan shipped with the repository, used when none is given.
pub const DEFAULT: &str = include_str!("../plans/default.toml");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Changes with every edit; recorded with every run.
    pub version: String,
    pub title: String,
    pub officers: Level,
    pub departments: Level,
    pub threshold: Threshold,
    pub outstanding: Outstanding,
    pub failing: Failing,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Whom a subject is compared with.
    pub peer_group: PeerGroup,
    /// Officers with fewer days in post in the year are scored but not ranked.
    #[serde(default)]
    pub min_days_in_post: u32,
    /// Strength of the pull of a rate toward its peer group's rate, in
    /// pseudo-observations: a rate over few cases says little.
    pub rate_prior: f64,
    /// A volume this many times the peer-group mean earns the full mark.
    pub volume_cap: f64,
    pub indicators: Vec<Weighted>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerGroup {
    /// Officers of the same body (the default for officers).
    Body,
    /// Bodies under the same parent (siblings).
    Parent,
    /// Everyone ranked at this level (the default for departments).
    All,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weighted {
    pub indicator: String,
    pub weight: f64,
    /// Whether more is better (`higher`) or worse (`lower`).
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
}

/// Art. 20(2): 年度考核成绩低于平均值40%.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub fraction: f64,
    pub reading: Reading,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reading {
    /// "40% below the average": score < (1 - fraction) x mean.
    BelowMeanByFraction,
    /// "below 40% of the average": score < fraction x mean.
    BelowFractionOfMean,
}

impl Threshold {
    /// The multiple of the peer-group mean below which an officer is flagged.
    pub fn factor(&self) -> f64 {
        match self.reading {
            Reading::BelowMeanByFraction => 1.0 - self.fraction,
            Reading::BelowFractionOfMean => self.fraction,
        }
    }

    pub fn describe(&self) -> String {
        let f = self.factor();
        match self.reading {
            Reading::BelowMeanByFraction => format!(
                "低于平均值{:.0}%: score < {f:.2} x peer-group mean (read as \"{:.0}% below the mean\")",
                self.fraction * 100.0,
                self.fraction * 100.0
            ),
            Reading::BelowFractionOfMean => format!(
                "低于平均值的{:.0}%: score < {f:.2} x peer-group mean (read as \"below {:.0}% of the mean\")",
                self.fraction * 100.0,
                self.fraction * 100.0
            ),
        }
    }
}

/// Art. 6: 考核成绩突出 outstanding.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outstanding {
    /// The top share of a peer group (at least one subject) ...
    pub top_share: f64,
    /// ... whose score is at least this multiple of the peer-group mean.
    pub min_over_mean: f64,
}

/// Art. 6: 考核不合格 failing.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failing {
    /// Below this multiple of the peer-group mean.
    pub below_mean_factor: f64,
}

impl Plan {
    pub fn load(path: Option<&Path>) -> anyhow::Result<Plan> {
        let (text, origin) = match path {
            Some(p) => (
                std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("plan {}: {e}", p.display()))?,
                p.display().to_string(),
            ),
            None => (DEFAULT.to_string(), "the default plan".to_string()),
        };
        Plan::parse(&text).map_err(|e| anyhow::anyhow!("{origin}: {e}"))
    }

    pub fn parse(text: &str) -> anyhow::Result<Plan> {
        let plan: Plan = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        plan.validate()?;
        Ok(plan)
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(!self.version.trim().is_empty(), "version: must be set");
        for (key, level, department) in [
            ("officers", &self.officers, false),
            ("departments", &self.departments, true),
        ] {
            anyhow::ensure!(
                !level.indicators.is_empty(),
                "{key}.indicators: at least one"
            );
            anyhow::ensure!(
                level.rate_prior.is_finite() && level.rate_prior >= 0.0,
                "{key}.rate_prior: must be a number >= 0"
            );
            anyhow::ensure!(
                level.volume_cap.is_finite() && level.volume_cap >= 1.0,
                "{key}.volume_cap: must be a number >= 1"
            );
            let mut total = 0.0;
            for (i, w) in level.indicators.iter().enumerate() {
                let at = format!("{key}.indicators[{i}] ({})", w.indicator);
                let Some(ind) = indicators::find(&w.indicator) else {
                    let known: Vec<&str> = indicators::ALL
                        .iter()
                        .filter(|x| x.fits(department))
                        .map(|x| x.name)
                        .collect();
                    anyhow::bail!("{at}: unknown indicator; known: {}", known.join(", "));
                };
                anyhow::ensure!(ind.fits(department), "{at}: not an indicator of {key}");
                anyhow::ensure!(
                    w.weight.is_finite() && w.weight > 0.0,
                    "{at}.weight: must be a positive number (drop the entry to leave it out)"
                );
                anyhow::ensure!(
                    level.indicators[..i]
                        .iter()
                        .all(|o| o.indicator != w.indicator),
                    "{at}: listed twice"
                );
                total += w.weight;
            }
            anyhow::ensure!(
                (total - 1.0).abs() < 1e-6,
                "{key}.indicators: the weights add up to {total}, not 1"
            );
        }
        anyhow::ensure!(
            self.departments.peer_group != PeerGroup::Body,
            "departments.peer_group: \"all\" or \"parent\" (a department is its own body)"
        );
        let t = &self.threshold;
        anyhow::ensure!(
            t.fraction > 0.0 && t.fraction < 1.0,
            "threshold.fraction: must be between 0 and 1 (Art. 20(2) says 0.4)"
        );
        let o = &self.outstanding;
        anyhow::ensure!(
            o.top_share > 0.0 && o.top_share <= 1.0,
            "outstanding.top_share: must be in (0, 1]"
        );
        anyhow::ensure!(
            o.min_over_mean.is_finite() && o.min_over_mean >= 0.0,
            "outstanding.min_over_mean: must be >= 0"
        );
        let f = &self.failing;
        anyhow::ensure!(
            f.below_mean_factor.is_finite()
                && f.below_mean_factor >= 0.0
                && f.below_mean_factor < 1.0,
            "failing.below_mean_factor: must be in [0, 1)"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(edit: impl Fn(&str) -> String, says: &str) {
        let text = edit(DEFAULT);
        let e = Plan::parse(&text).expect_err("a bad plan must be refused");
        assert!(e.to_string().contains(says), "{e}");
    }

    #[test]
    fn bad_plans_are_refused_with_the_key() {
        refused(
            |p| {
                p.replacen(
                    "indicator = \"matters_accepted\"",
                    "indicator = \"cups_of_tea\"",
                    1,
                )
            },
            "officers.indicators[0] (cups_of_tea): unknown indicator",
        );
        refused(
            |p| p.replacen("weight = 0.09", "weight = 0.13", 1),
            "officers.indicators: the weights add up to",
        );
        refused(
            |p| p.replacen("weight = 0.09", "weight = -0.09", 1),
            "weight: must be a positive number",
        );
        refused(
            |p| {
                p.replacen(
                    "indicator = \"completion_rate\"",
                    "indicator = \"matters_accepted\"",
                    1,
                )
                .replacen(
                    "indicator = \"wrongful_rate\"\nweight = 0.15",
                    "indicator = \"matters_accepted\"\nweight = 0.15",
                    1,
                )
            },
            "listed twice",
        );
        refused(
            |p| {
                p.replacen(
                    "indicator = \"matters_accepted\"",
                    "indicator = \"legal_review_coverage\"",
                    1,
                )
            },
            "not an indicator of officers",
        );
        refused(
            |p| p.replacen("fraction = 0.4", "fraction = 1.4", 1),
            "threshold.fraction",
        );
        refused(
            |p| {
                p.replacen(
                    "reading = \"below_mean_by_fraction\"",
                    "reading = \"whatever\"",
                    1,
                )
            },
            "unknown variant",
        );
        refused(
            |p| p.replacen("version = \"2026.1\"", "version = \"\"", 1),
            "version",
        );
        refused(
            |p| p.replacen("peer_group = \"all\"", "peer_group = \"body\"", 1),
            "departments.peer_group",
        );
        refused(|p| format!("{p}\nsurprise = 1\n"), "unknown field");
    }

    #[test]
    fn both_readings_of_art20_2() {
        let mut p = Plan::parse(DEFAULT).unwrap();
        assert!((p.threshold.factor() - 0.6).abs() < 1e-12);
        p.threshold.reading = Reading::BelowFractionOfMean;
        assert!((p.threshold.factor() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn the_default_plan_loads_and_covers_every_art9_item() {
        let p = Plan::parse(DEFAULT).expect("default plan");
        let articles: String = p
            .officers
            .indicators
            .iter()
            .filter_map(|w| indicators::find(&w.indicator))
            .map(|i| i.article)
            .collect::<Vec<_>>()
            .join(" ");
        for item in 1..=11 {
            assert!(
                articles.contains(&format!("9({item})")),
                "Art. 9({item}) missing from the default plan: {articles}"
            );
        }
    }
}
