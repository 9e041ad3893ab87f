//! The units' draws in the story: run through the draws service
//! (`probity_city::draws`), each published record written beside the
//! report and recomputed offline as `probity draw verify` does, and the
//! planted departures checked.
use std::path::{Path, PathBuf};

use probity_city::{City, Endpoints, TokenSource, draws::Draws};
use probity_draws::{DrawRecord, verify};

use super::{
    cases::Conn,
    check::{self, DrawCheck},
};

/// What the draws came to.
pub struct Published {
    pub draws: Draws,
    /// Where the records are: `{dir}/{unit key}.json`.
    pub dir: PathBuf,
    /// Records recomputed offline, and the ones that did not match
    /// (`file: field: problem; …`).
    pub records_checked: usize,
    pub records_differing: Vec<String>,
    pub checks: Vec<DrawCheck>,
    /// Units that departed from their draws with nothing planted on them.
    pub strays: Vec<String>,
}

pub async fn draw_and_inspect(
    endpoints: &Endpoints,
    tokens: &dyn TokenSource,
    city: &City,
    out: &Path,
) -> anyhow::Result<Published> {
    let draws = probity_city::draws::run(endpoints, tokens, city).await?;
    let dir = out.join("draws");
    std::fs::create_dir_all(&dir)?;
    let mut differing = Vec::new();
    for u in &draws.units {
        let file = dir.join(format!("{}.json", u.key));
        // As published, only indented.
        let published: serde_json::Value = serde_json::from_str(&u.record_json)?;
        std::fs::write(&file, serde_json::to_vec_pretty(&published)?)?;
        let record: DrawRecord = serde_json::from_value(published)?;
        let wrong: Vec<String> = verify(&record).iter().map(|m| m.to_string()).collect();
        if !wrong.is_empty() {
            differing.push(format!("{}: {}", file.display(), wrong.join("; ")));
        }
    }
    Ok(Published {
        records_checked: draws.units.len(),
        draws,
        dir,
        records_differing: differing,
        checks: vec![],
        strays: vec![],
    })
}

impl Published {
    /// With the departures checked against intake's findings.
    pub async fn checked(mut self, conn: &Conn<'_>) -> anyhow::Result<Published> {
        (self.checks, self.strays) = check::draws(conn, &self.draws).await?;
        Ok(self)
    }

    /// The record of the first unit that kept to its draw, for
    /// `probity draw verify`.
    pub fn sample(&self) -> Option<PathBuf> {
        self.draws
            .units
            .iter()
            .find(|u| u.departure.is_none())
            .map(|u| self.dir.join(format!("{}.json", u.key)))
    }
}
