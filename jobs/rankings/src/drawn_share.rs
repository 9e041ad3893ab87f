//! Art. 19(7) (行政执法检查未实行“双随机一公开”): each unit's drawn share
//! of its routine inspections under a power, held to the share its annual
//! plan (抽查计划) requires. Everything counted is Probity's own fact, never
//! the unit's word: an inspection is drawn only when intake verified it
//! against a real draw (`draw_verified`), and it is routine unless its
//! `cause` names a live complaint of the same unit on record (a cause
//! Probity cannot find counts as none, so naming one cannot move an
//! inspection out of the count). The plans are read from the draws
//! service (ListDrawPlans); a (unit, power) without a plan is never flagged.
use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
};

use probity_proto::{
    draws::v1::{ListDrawPlansRequest, draws_service_client::DrawsServiceClient},
    intake::v1::{Fact, FactKind, fact::Payload},
};
use serde::{Deserialize, Serialize};

use crate::{
    columns::{bools, strs},
    extract::Peers,
    write_parquet,
};

/// The year's live inspections, tallied as the facts stream past.
pub const FILE: &str = "inspections_by_power.parquet";

/// The shares and plans as the run read them: an input like the others
/// (fingerprinted), absent from inputs made without the services (the
/// synthetic city's year), whose report then has no drawn-share column.
pub const SHARES: &str = "drawn_share.json";

/// (body, power, cause, verified): how many live inspections.
type Key = (String, String, String, bool);

/// The year's live inspections by unit, power, cause and whether verified
/// drawn, and the year's live complaints (the causes on record). Filled by
/// the facts' writer (`extract::FactFiles`), so every input path has it.
#[derive(Default)]
pub struct Tally {
    inspections: HashMap<Key, u64>,
    complaints: HashSet<(String, String)>,
}

impl Tally {
    /// A live fact of the year (a voided one is not pushed).
    pub fn push(&mut self, f: &Fact) {
        match &f.payload {
            Some(Payload::Inspection(i)) => {
                self.push_inspection(&f.body, &i.power, &i.cause, i.draw_verified)
            }
            Some(Payload::Complaint(_)) => self.push_complaint(&f.body, &f.source_id),
            _ => {}
        }
    }

    /// A live inspection of the year: its unit, power, cause as sent, and
    /// whether intake verified it against a draw.
    pub fn push_inspection(&mut self, body: &str, power: &str, cause: &str, verified: bool) {
        *self
            .inspections
            .entry((
                body.to_string(),
                power.to_string(),
                cause.to_string(),
                verified,
            ))
            .or_default() += 1;
    }

    /// A live complaint of the year: a cause naming it is on record.
    pub fn push_complaint(&mut self, body: &str, source_id: &str) {
        self.complaints
            .insert((body.to_string(), source_id.to_string()));
    }

    /// Writes [`FILE`]: a cause is kept only if it is not one of the year's
    /// complaints (`on_record` false), for the run to look up in earlier
    /// years; one on record is marked so and its text dropped.
    pub fn write(self, dir: &Path) -> anyhow::Result<()> {
        let mut rows: Vec<(Key, u64)> = self.inspections.into_iter().collect();
        rows.sort();
        let n = rows.len();
        let (mut body, mut power, mut cause) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        let (mut on_record, mut verified, mut count) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for ((b, p, c, v), k) in rows {
            let found = !c.is_empty() && self.complaints.contains(&(b.clone(), c.clone()));
            body.push(b);
            power.push(p);
            cause.push(if found { String::new() } else { c });
            on_record.push(found);
            verified.push(v);
            count.push(k);
        }
        let mut df = polars::df!(
            "body" => body,
            "power" => power,
            "cause" => cause,
            "on_record" => on_record,
            "verified" => verified,
            "n" => count,
        )?;
        write_parquet(&mut df, &dir.join(FILE))?;
        Ok(())
    }
}

/// A unit's drawn share under one power, beside its plan's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrawnShareRow {
    /// bodies/{body}
    pub body: String,
    /// bodies/{body}/powers/{power}
    pub power: String,
    /// live inspections without a cause on record.
    pub routine: u64,
    /// of those, verified against a draw.
    pub drawn: u64,
    /// the plan's required share, basis points; `None`: no plan.
    pub plan_bp: Option<i32>,
    /// drawn / routine below the plan's share (Art. 19(7)).
    pub below_plan: bool,
}

impl DrawnShareRow {
    /// drawn / routine, 0..=1; `None` without routine inspections.
    pub fn share(&self) -> Option<f64> {
        (self.routine > 0).then(|| self.drawn as f64 / self.routine as f64)
    }

    pub fn plan_share(&self) -> Option<f64> {
        self.plan_bp.map(|bp| f64::from(bp) / 10_000.0)
    }
}

/// The rows a run saved ([`SHARES`]); `None` if it saved none.
pub fn load(input: &Path) -> anyhow::Result<Option<Vec<DrawnShareRow>>> {
    let path = input.join(SHARES);
    if !path.exists() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Some(serde_json::from_str(&text)?))
}

pub fn save(input: &Path, rows: &[DrawnShareRow]) -> anyhow::Result<()> {
    std::fs::write(input.join(SHARES), serde_json::to_string_pretty(rows)?)?;
    Ok(())
}

/// A unit's drawn share in one figure, as the department table shows it:
/// the power furthest below its plan (or, with every plan met, the one
/// closest to it); a unit with no plan shows its share over every power.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitShare {
    pub share: Option<f64>,
    pub plan: Option<f64>,
    pub below_plan: bool,
}

/// [`UnitShare`] by body.
pub fn by_unit(rows: &[DrawnShareRow]) -> HashMap<String, UnitShare> {
    let mut out: HashMap<String, UnitShare> = HashMap::new();
    let mut totals: HashMap<&str, (u64, u64)> = HashMap::new();
    for r in rows {
        let t = totals.entry(r.body.as_str()).or_default();
        t.0 += r.routine;
        t.1 += r.drawn;
        let (Some(plan), Some(share)) = (r.plan_share(), r.share()) else {
            continue;
        };
        let this = UnitShare {
            share: Some(share),
            plan: Some(plan),
            below_plan: r.below_plan,
        };
        let margin = |u: &UnitShare| u.share.unwrap_or(0.0) - u.plan.unwrap_or(0.0);
        match out.get(&r.body) {
            Some(cur) if cur.plan.is_some() && margin(cur) <= margin(&this) => {}
            _ => {
                out.insert(r.body.clone(), this);
            }
        }
    }
    for (body, (routine, drawn)) in totals {
        out.entry(body.to_string()).or_insert(UnitShare {
            share: (routine > 0).then(|| drawn as f64 / routine as f64),
            plan: None,
            below_plan: false,
        });
    }
    out
}

/// One tallied row of [`FILE`].
struct Counted {
    body: String,
    power: String,
    cause: String,
    on_record: bool,
    verified: bool,
    n: u64,
}

fn read(input: &Path) -> anyhow::Result<Vec<Counted>> {
    let path = input.join(FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let df = crate::collect(crate::compute::scan(input, FILE)?)?;
    let (body, power, cause) = (strs(&df, "body"), strs(&df, "power"), strs(&df, "cause"));
    let (on_record, verified) = (bools(&df, "on_record"), bools(&df, "verified"));
    let n: Vec<u64> = df
        .column("n")?
        .u64()?
        .iter()
        .map(|x| x.unwrap_or(0))
        .collect();
    Ok((0..df.height())
        .map(|i| Counted {
            body: body[i].clone(),
            power: power[i].clone(),
            cause: cause[i].clone(),
            on_record: on_record[i],
            verified: verified[i],
            n: n[i],
        })
        .collect())
}

/// The shares from the tallied inspections, the causes found on record in
/// earlier years (body, source id) and the plans ((unit, power) -> basis
/// points). Every (unit, power) with an inspection or a plan has a row.
pub fn shares(
    counted: &[(String, String, String, bool, bool, u64)],
    earlier: &HashSet<(String, String)>,
    plans: &HashMap<(String, String), i32>,
) -> Vec<DrawnShareRow> {
    let mut by: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for (body, power, cause, on_record, verified, n) in counted {
        let e = by.entry((body.clone(), power.clone())).or_default();
        let caused =
            *on_record || (!cause.is_empty() && earlier.contains(&(body.clone(), cause.clone())));
        if caused {
            continue;
        }
        e.0 += n;
        if *verified {
            e.1 += n;
        }
    }
    for k in plans.keys() {
        by.entry(k.clone()).or_default();
    }
    by.into_iter()
        .map(|((body, power), (routine, drawn))| {
            let plan_bp = plans.get(&(body.clone(), power.clone())).copied();
            // In integers: a share exactly at the plan is not below it.
            let below_plan = plan_bp.is_some_and(|bp| {
                routine > 0 && u128::from(drawn) * 10_000 < u128::from(routine) * bp.max(0) as u128
            });
            DrawnShareRow {
                body,
                power,
                routine,
                drawn,
                plan_bp,
                below_plan,
            }
        })
        .collect()
}

/// The causes not among the year's complaints that are live complaints of
/// their unit in an earlier year (asked of intake by key).
async fn earlier_complaints(
    peers: &Peers,
    wanted: Vec<(String, String)>,
) -> anyhow::Result<HashSet<(String, String)>> {
    let mut found = HashSet::new();
    for chunk in wanted.chunks(crate::extract::LOOKUP_KEYS) {
        let page = crate::extract::lookup(peers, chunk).await?;
        for f in page {
            if f.kind == FactKind::Complaint as i32 && !f.voided {
                found.insert((f.body, f.source_id));
            }
        }
    }
    Ok(found)
}

/// The current plans of the year: (unit, power) -> required drawn share.
async fn plans(peers: &Peers, year: i32) -> anyhow::Result<HashMap<(String, String), i32>> {
    let mut client = DrawsServiceClient::new(peers.draws.channel());
    let mut out = HashMap::new();
    let mut token = String::new();
    loop {
        let page = peers
            .draws
            .call(
                "the draws service",
                client.list_draw_plans(ListDrawPlansRequest {
                    year,
                    page_size: 1000,
                    page_token: token,
                }),
            )
            .await
            .map_err(|e| anyhow::anyhow!("draws ListDrawPlans: {e}"))?;
        for p in page.draw_plans {
            out.insert((p.unit, p.power), p.drawn_share);
        }
        if page.next_page_token.is_empty() {
            return Ok(out);
        }
        token = page.next_page_token;
    }
}

/// Reads the plans and the earlier years' causes, computes each unit's
/// drawn share and saves the rows ([`SHARES`]).
pub async fn extract(peers: &Peers, year: i32, input: &Path) -> anyhow::Result<Vec<DrawnShareRow>> {
    let counted = read(input)?;
    let wanted: Vec<(String, String)> = counted
        .iter()
        .filter(|c| !c.on_record && !c.cause.is_empty())
        .map(|c| (c.body.clone(), c.cause.clone()))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let earlier = earlier_complaints(peers, wanted).await?;
    let plans = plans(peers, year).await?;
    let counted: Vec<_> = counted
        .into_iter()
        .map(|c| (c.body, c.power, c.cause, c.on_record, c.verified, c.n))
        .collect();
    let rows = shares(&counted, &earlier, &plans);
    save(input, &rows)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        body: &str,
        power: &str,
        cause: &str,
        on_record: bool,
        verified: bool,
        n: u64,
    ) -> (String, String, String, bool, bool, u64) {
        (
            body.into(),
            power.into(),
            cause.into(),
            on_record,
            verified,
            n,
        )
    }

    #[test]
    fn only_verified_draws_count_and_only_real_causes_excuse() {
        let counted = vec![
            row("bodies/a", "bodies/a/powers/p", "", false, true, 3),
            row("bodies/a", "bodies/a/powers/p", "", false, false, 1),
            // a cause the unit made up: routine, not drawn
            row(
                "bodies/a",
                "bodies/a/powers/p",
                "K-made-up",
                false,
                false,
                2,
            ),
            // a complaint of this year: not routine
            row("bodies/a", "bodies/a/powers/p", "", true, false, 5),
            // a complaint of an earlier year: not routine
            row("bodies/a", "bodies/a/powers/p", "K-2025", false, false, 4),
            // b: exactly at its plan
            row("bodies/b", "bodies/b/powers/q", "", false, true, 4),
            row("bodies/b", "bodies/b/powers/q", "", false, false, 1),
            // c: no plan, never flagged
            row("bodies/c", "bodies/c/powers/r", "", false, false, 9),
        ];
        let earlier = HashSet::from([("bodies/a".to_string(), "K-2025".to_string())]);
        let plans = HashMap::from([
            (("bodies/a".into(), "bodies/a/powers/p".into()), 8_000),
            (("bodies/b".into(), "bodies/b/powers/q".into()), 8_000),
            // a plan and no inspection: nothing to hold to it
            (("bodies/d".into(), "bodies/d/powers/s".into()), 8_000),
        ]);
        let rows = shares(&counted, &earlier, &plans);
        let by: HashMap<&str, &DrawnShareRow> = rows.iter().map(|r| (r.body.as_str(), r)).collect();
        let a = by["bodies/a"];
        assert_eq!((a.routine, a.drawn, a.below_plan), (6, 3, true), "{a:?}");
        assert_eq!(a.share(), Some(0.5));
        let b = by["bodies/b"];
        assert_eq!((b.routine, b.drawn, b.below_plan), (5, 4, false), "{b:?}");
        let c = by["bodies/c"];
        assert_eq!((c.plan_bp, c.below_plan), (None, false), "{c:?}");
        let d = by["bodies/d"];
        assert_eq!((d.routine, d.share(), d.below_plan), (0, None, false));
    }

    #[test]
    fn the_tally_drops_causes_found_among_the_years_complaints() {
        use probity_proto::intake::v1::{Complaint, Inspection};
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tally::default();
        let inspection = |cause: &str, verified: bool| Fact {
            body: "bodies/a".into(),
            source_id: format!("JC-{cause}-{verified}"),
            payload: Some(Payload::Inspection(Inspection {
                power: "bodies/a/powers/p".into(),
                cause: cause.into(),
                draw_verified: verified,
                ..Default::default()
            })),
            ..Default::default()
        };
        t.push(&inspection("", true));
        t.push(&inspection("K1", false));
        t.push(&inspection("K9", false));
        t.push(&Fact {
            body: "bodies/a".into(),
            source_id: "K1".into(),
            payload: Some(Payload::Complaint(Complaint::default())),
            ..Default::default()
        });
        // another unit's complaint of the same id excuses nothing here
        t.push(&Fact {
            body: "bodies/b".into(),
            source_id: "K9".into(),
            payload: Some(Payload::Complaint(Complaint::default())),
            ..Default::default()
        });
        t.write(dir.path()).unwrap();
        let rows = read(dir.path()).unwrap();
        let got: Vec<(&str, bool, bool, u64)> = rows
            .iter()
            .map(|c| (c.cause.as_str(), c.on_record, c.verified, c.n))
            .collect();
        assert_eq!(
            got,
            [
                ("", false, true, 1),
                ("", true, false, 1),
                ("K9", false, false, 1)
            ]
        );
    }
}
