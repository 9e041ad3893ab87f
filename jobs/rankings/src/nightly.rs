//! The nightly run (`probity rankings run` without --year): which years to
//! compute is worked out from the city's today, never fixed by a setting
//! that goes stale on 1 January. The last year is recomputed whole for the
//! first `rankings.seal_after_days` days of January and sealed on the first
//! night after; the current year is computed to date. A sealed year is not
//! computed again, so the job keeps succeeding once it is sealed.
use std::path::PathBuf;

use chrono::{Datelike, NaiveDate};
use probity_common::config::Settings;
use probity_proto::rankings::v1::{
    Level, ListRankingsRequest, rankings_service_client::RankingsServiceClient,
};

use crate::{RunOptions, extract::Peers, output::Manifest, settings::RankingsSettings};

#[derive(Debug, Clone, Default)]
pub struct NightlyOptions {
    pub plan: Option<PathBuf>,
    pub quiet: bool,
    /// The city's today; `None`: the clock's (tests inject it).
    pub today: Option<NaiveDate>,
    /// Runs go to `{out_root}/{year}/{as_of}`; default rankings.out_dir.
    pub out_root: Option<PathBuf>,
}

/// What one night did to a year.
#[derive(Debug)]
pub enum Done {
    /// Computed (and recorded, its reports delivered; `finalized`: sealed).
    Ran(Box<Manifest>),
    /// Sealed already by this run: not computed again.
    Sealed { year: i32, run: String },
    /// The last year has no run at all (Probity was not ranking it): nothing to finish.
    NoRun { year: i32 },
}

/// Where a year stands with the rankings service.
enum Year {
    NoRun,
    Open,
    Sealed(String),
}

async fn year_state(peers: &Peers, year: i32) -> anyhow::Result<Year> {
    let mut client = RankingsServiceClient::new(peers.rankings.channel());
    let answer = peers
        .rankings
        .call(
            "the rankings service",
            client.list_rankings(ListRankingsRequest {
                year,
                level: Level::Department as i32,
                page_size: 1,
                ..Default::default()
            }),
        )
        .await;
    match answer {
        Ok(page) => Ok(match page.run {
            Some(run) if run.finalized => Year::Sealed(run.name),
            _ => Year::Open,
        }),
        Err(probity_common::peer::PeerError::Refused(s)) if s.code() == tonic::Code::NotFound => {
            Ok(Year::NoRun)
        }
        Err(e) => anyhow::bail!("ListRankings {year}: {e}"),
    }
}

/// What the night does to the last year, from the city's today.
#[derive(Debug, PartialEq, Eq)]
pub enum LastYear {
    /// Recompute it whole (as of 31 December), unsealed: still in the
    /// first `seal_after_days` days of January.
    Recompute,
    /// Seal it.
    Seal,
}

/// The first `seal_after_days` days of January recompute, any later day seals
/// (a night the job did not run in January is made up by the next one).
pub fn last_year(today: NaiveDate, seal_after_days: u32) -> LastYear {
    if today.ordinal() <= seal_after_days {
        LastYear::Recompute
    } else {
        LastYear::Seal
    }
}

/// The night's runs: the last year finished first, then the current year.
pub async fn run(settings: &Settings, o: NightlyOptions) -> anyhow::Result<Vec<Done>> {
    let section = settings.section::<RankingsSettings>();
    let today = o.today.unwrap_or_else(|| {
        chrono::Utc::now()
            .with_timezone(&crate::city())
            .date_naive()
    });
    let peers = Peers::new(settings)?;
    let root = o
        .out_root
        .clone()
        .unwrap_or_else(|| PathBuf::from(&section.out_dir));
    let options = |year: i32, as_of: Option<NaiveDate>, finalize: bool| RunOptions {
        year,
        as_of,
        plan: o.plan.clone(),
        out: Some(
            root.join(year.to_string())
                .join(as_of.unwrap_or(today).to_string()),
        ),
        finalize,
        quiet: o.quiet,
        today: Some(today),
    };
    let mut done = Vec::new();
    let last = today.year() - 1;
    match year_state(&peers, last).await? {
        Year::Sealed(run) => done.push(Done::Sealed { year: last, run }),
        Year::NoRun => done.push(Done::NoRun { year: last }),
        Year::Open => {
            let finalize = last_year(today, section.seal_after_days) == LastYear::Seal;
            let dec31 = NaiveDate::from_ymd_opt(last, 12, 31);
            let m = crate::run(settings, options(last, dec31, finalize)).await?;
            done.push(Done::Ran(Box::new(m)));
        }
    }
    let year = today.year();
    match year_state(&peers, year).await? {
        Year::Sealed(run) => done.push(Done::Sealed { year, run }),
        Year::NoRun | Year::Open => {
            let m = crate::run(settings, options(year, None, false)).await?;
            done.push(Done::Ran(Box::new(m)));
        }
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_year_is_sealed_after_the_window() {
        let d = |m, day| NaiveDate::from_ymd_opt(2027, m, day).unwrap();
        assert_eq!(last_year(d(1, 1), 15), LastYear::Recompute);
        assert_eq!(last_year(d(1, 15), 15), LastYear::Recompute);
        assert_eq!(last_year(d(1, 16), 15), LastYear::Seal);
        assert_eq!(last_year(d(6, 1), 15), LastYear::Seal);
        assert_eq!(last_year(d(1, 1), 0), LastYear::Seal);
    }
}
