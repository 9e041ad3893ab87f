//! Reading the inputs in bulk, over the services' APIs (their tables stay
//! their own): the year's facts from intake's ExportFactColumns stream, and a
//! registry snapshot (bodies, officers and the days each was in post in the
//! year). Written as Parquet, the job's only input from then on.
use std::{
    collections::{HashMap, HashSet},
    fs::File,
    path::Path,
    time::Duration,
};

use futures::{StreamExt, TryStreamExt};
use indicatif::ProgressBar;
use polars::prelude::*;
use probity_common::{
    config::Settings,
    names::from_ts,
    peer::{Peer, PeerChannel, PeerConfig},
};
use probity_proto::{
    intake::v1::{
        BatchLookupFactsRequest, ExportFactColumnsRequest, ExportFactColumnsResponse, Fact,
        FactKind, LookupFactRequest, fact::Payload, intake_service_client::IntakeServiceClient,
    },
    registry::v1::{
        Body, GetOfficerHistoryRequest, ListBodiesRequest, ListOfficersRequest, Officer,
        OfficerStatus, registry_service_client::RegistryServiceClient,
    },
};

use crate::write_parquet;

/// The lines to the services the job reads from and reports to.
pub struct Peers {
    pub registry: Peer,
    pub intake: Peer,
    pub accountability: Peer,
    pub rankings: Peer,
    /// The year's draw plans (drawn_share.rs).
    pub draws: Peer,
}

impl Peers {
    pub fn new(settings: &Settings) -> anyhow::Result<Peers> {
        let r = settings.section::<crate::settings::RankingsSettings>();
        let own: std::net::SocketAddr = settings
            .server
            .listen
            .parse()
            .map_err(|e| anyhow::anyhow!("server.listen: {e}"))?;
        let peer = |setting: &'static str, endpoint: &str| {
            Peer::new(
                settings,
                PeerConfig {
                    endpoint_setting: setting,
                    endpoint,
                    token_setting: "rankings.token_file",
                    token_file: &r.token_file,
                    subject: probity_common::service_identity::RANKINGS_JOB.subject,
                    timeout: Duration::from_millis(r.timeout_ms),
                },
                own,
            )
        };
        Ok(Peers {
            registry: peer("rankings.registry_endpoint", &r.registry_endpoint)?,
            intake: peer("rankings.intake_endpoint", &r.intake_endpoint)?,
            accountability: peer(
                "rankings.accountability_endpoint",
                &r.accountability_endpoint,
            )?,
            rankings: peer("rankings.rankings_endpoint", &r.rankings_endpoint)?,
            // Empty: where intake is, which calls the draws target too.
            draws: peer(
                "rankings.draws_endpoint",
                if r.draws_endpoint.is_empty() {
                    &r.intake_endpoint
                } else {
                    &r.draws_endpoint
                },
            )?,
        })
    }

    fn registry_client(&self) -> RegistryServiceClient<PeerChannel> {
        RegistryServiceClient::new(self.registry.channel()).max_decoding_message_size(64 << 20)
    }
}

/// The keys of the references found so far and the keys they refer to,
/// moved onto the computation's thread.
struct FoundKeys {
    body: Vec<String>,
    source_id: Vec<String>,
    ref_source: Vec<String>,
}

/// Column builders for the facts table, one row per fact.
#[derive(Default)]
struct Facts {
    fid: Vec<i64>,
    kind: Vec<i32>,
    body: Vec<String>,
    source_id: Vec<String>,
    ref_source: Vec<String>,
    occurred_us: Vec<i64>,
    records: Vec<i32>,
    random: Vec<bool>,
    wrongful: Vec<bool>,
    /// Repeats what an earlier fact of the year already counted (see
    /// [`Facts::count_once`]).
    repeat: Vec<bool>,
    major: Vec<bool>,
    reviewed: Vec<bool>,
    penalty: Vec<bool>,
    within: Vec<bool>,
    hours: Vec<f64>,
    exam: Vec<f64>,
    has_exam: Vec<bool>,
    six_ok: Vec<bool>,
    transfer_kind: Vec<i32>,
    item_score: Vec<f64>,
    item_year: Vec<i32>,
    // fact_officers
    of_fid: Vec<i64>,
    of_officer: Vec<String>,
    // findings
    fi_fid: Vec<i64>,
    fi_body: Vec<String>,
    fi_officer: Vec<String>,
    fi_rule: Vec<String>,
}

impl Facts {
    fn keys(&self) -> FoundKeys {
        FoundKeys {
            body: self.body.clone(),
            source_id: self.source_id.clone(),
            ref_source: self.ref_source.clone(),
        }
    }

    /// Art. 9 counts matters, complaints and cases, not the records about
    /// them: a matter closed twice (two closings sent for it) is one matter
    /// completed (9(2)), a complaint likewise (9(6)), and a decision revoked
    /// or lost more than once (first instance, appeal) one wrongful case
    /// (9(3)). The fact just pushed is marked a repeat if what it counts was
    /// counted already this year: (kind, body, the source id it refers to).
    fn count_once(&mut self, counted: &mut HashSet<(i32, String, String)>) {
        let (Some(kind), Some(body), Some(target), Some(wrongful)) = (
            self.kind.last(),
            self.body.last(),
            self.ref_source.last(),
            self.wrongful.last(),
        ) else {
            return;
        };
        if counts_once(*kind, *wrongful)
            && !counted.insert((*kind, body.clone(), target.clone()))
            && let Some(r) = self.repeat.last_mut()
        {
            *r = true;
        }
    }

    fn push(&mut self, f: &Fact) {
        let fid = f
            .name
            .strip_prefix("facts/")
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or(-1);
        let mut row = Row::default();
        let mut officers: Vec<String> = Vec::new();
        match &f.payload {
            Some(Payload::Matter(m)) => {
                row.records = m.records.len() as i32;
                officers = m.officers.clone();
            }
            Some(Payload::MatterClosing(c)) => row.ref_source = c.matter.clone(),
            Some(Payload::Decision(d)) => {
                row.ref_source = d.matter.clone();
                row.major = d.major;
                // passed, and before the decision: intake's own rule
                row.reviewed = probity_rules::major::legal_review_problem(d).is_none();
                if let Some(p) = &d.penalty {
                    row.penalty = true;
                    row.within = p.within_benchmark;
                }
            }
            Some(Payload::Inspection(i)) => {
                row.records = i.records.len() as i32;
                // Drawn only when intake matched it to a real draw: the
                // unit's own `random_draw` text is no evidence (Art. 9(4)).
                row.random = i.draw_verified;
                officers = i.officers.clone();
            }
            Some(Payload::ReviewOutcome(r)) => {
                row.ref_source = r.decision.clone();
                row.wrongful = r.wrongful;
            }
            Some(Payload::Complaint(c)) => officers = c.officers.clone(),
            Some(Payload::ComplaintClosing(c)) => row.ref_source = c.complaint.clone(),
            Some(Payload::Transfer(t)) => {
                row.transfer_kind = t.kind;
                officers = t.officers.clone();
            }
            Some(Payload::Training(t)) => {
                row.hours = t.hours;
                row.has_exam = t.has_exam;
                row.exam = if t.has_exam { t.exam_score } else { 0.0 };
                officers = vec![t.officer.clone()];
            }
            Some(Payload::CaseFileReview(c)) => {
                row.ref_source = c.decision.clone();
                row.six_ok = c.facts_clear
                    && c.evidence_conclusive
                    && c.basis_correct
                    && c.procedure_lawful
                    && c.content_appropriate
                    && c.documents_standard;
            }
            Some(Payload::AssessmentItem(a)) => {
                row.item_score = a.score;
                row.item_year = a.year;
            }
            None => {}
        }
        held_to_findings(&mut row, f);
        self.fid.push(fid);
        self.kind.push(f.kind);
        self.body.push(f.body.clone());
        self.source_id.push(f.source_id.clone());
        self.ref_source.push(row.ref_source);
        self.occurred_us.push(
            f.occur_time
                .as_ref()
                .and_then(from_ts)
                .map(|t| t.timestamp_micros())
                .unwrap_or(0),
        );
        self.records.push(row.records);
        self.random.push(row.random);
        self.wrongful.push(row.wrongful);
        self.repeat.push(false);
        self.major.push(row.major);
        self.reviewed.push(row.reviewed);
        self.penalty.push(row.penalty);
        self.within.push(row.within);
        self.hours.push(row.hours);
        self.exam.push(row.exam);
        self.has_exam.push(row.has_exam);
        self.six_ok.push(row.six_ok);
        self.transfer_kind.push(row.transfer_kind);
        self.item_score.push(row.item_score);
        self.item_year.push(row.item_year);
        // Each officer once an act: intake refuses a list naming one twice,
        // but a record that did would otherwise credit that officer twice.
        let mut seen = HashSet::with_capacity(officers.len());
        for o in officers {
            if seen.insert(o.clone()) {
                self.of_fid.push(fid);
                self.of_officer.push(o);
            }
        }
        self.push_findings(f);
    }

    /// The fact's findings in force: a finding outlives the correction or
    /// void of its fact until the legal-affairs office clears it, so a voided
    /// fact, not counted itself, still brings its findings.
    fn push_findings(&mut self, f: &Fact) {
        let fid = f
            .name
            .strip_prefix("facts/")
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or(-1);
        for x in f.findings.iter().filter(|x| finding_in_force(x.state)) {
            self.fi_fid.push(fid);
            self.fi_body.push(f.body.clone());
            self.fi_officer.push(x.officer.clone());
            self.fi_rule.push(x.rule.clone());
        }
    }
}

/// What a finding in force says of its fact stands over what a later
/// revision claims: adding a record, a legal review or another grade to a
/// fact does not make the indicators forget the breach until the
/// legal-affairs office clears the finding.
fn held_to_findings(row: &mut Row, f: &Fact) {
    for x in f.findings.iter().filter(|x| finding_in_force(x.state)) {
        match held_by(&x.rule) {
            Some(Held::NotRecorded) => row.records = 0,
            Some(Held::UnreviewedMajor) => {
                row.major = true;
                row.reviewed = false;
            }
            Some(Held::OutsideBenchmark) => row.within = false,
            None => {}
        }
    }
}

/// What a finding in force holds its fact to, whatever the fact now says.
pub(crate) enum Held {
    /// no process record (Art. 9(9))
    NotRecorded,
    /// a major decision without a legal review before it
    UnreviewedMajor,
    /// a penalty outside the discretion benchmark
    OutsideBenchmark,
}

pub(crate) fn held_by(rule: &str) -> Option<Held> {
    use probity_rules::catalogue as rules;
    if rule == rules::INSPECTION_NOT_RECORDED.code {
        Some(Held::NotRecorded)
    } else if rule == rules::MAJOR_DECISION_WITHOUT_LEGAL_REVIEW.code {
        Some(Held::UnreviewedMajor)
    } else if rule == rules::PENALTY_OUTSIDE_BENCHMARK.code {
        Some(Held::OutsideBenchmark)
    } else {
        None
    }
}

/// Whether a fact of this kind counts something once a year (Art. 9(2),
/// 9(3), 9(6); [`Facts::count_once`]).
pub(crate) fn counts_once(kind: i32, wrongful: bool) -> bool {
    match FactKind::try_from(kind) {
        Ok(FactKind::ReviewOutcome) => wrongful,
        Ok(FactKind::MatterClosing | FactKind::ComplaintClosing) => true,
        _ => false,
    }
}

/// OPEN, SUPERSEDED_PENDING and UPHELD count; CLEARED does not.
pub(crate) fn finding_in_force(state: i32) -> bool {
    use probity_proto::intake::v1::FindingState as S;
    [S::Open, S::SupersededPending, S::Upheld]
        .iter()
        .any(|s| *s as i32 == state)
}

#[derive(Default)]
struct Row {
    ref_source: String,
    records: i32,
    random: bool,
    wrongful: bool,
    major: bool,
    reviewed: bool,
    penalty: bool,
    within: bool,
    hours: f64,
    exam: f64,
    has_exam: bool,
    six_ok: bool,
    transfer_kind: i32,
    item_score: f64,
    item_year: i32,
}

/// Row counts of what was read, for the manifest and the progress line.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Counts {
    pub facts: usize,
    pub fact_officers: usize,
    pub findings: usize,
    pub officers: usize,
    pub bodies: usize,
    /// Facts of other years the year's facts refer to (credited through,
    /// not counted).
    pub referenced: usize,
}

/// Streams the year's facts (up to `until_us`) from intake into Parquet:
/// ExportFactColumns, Arrow record batches of the year in id order, each
/// message's rows made by [`crate::fact_columns::frames`].
pub async fn facts(
    peers: &Peers,
    year: i32,
    until_us: i64,
    dir: &Path,
    bar: &ProgressBar,
) -> anyhow::Result<Counts> {
    let mut client =
        IntakeServiceClient::new(peers.intake.channel()).max_decoding_message_size(256 << 20);
    let mut stream = peers
        .intake
        .call(
            "intake",
            // Voided facts too: their findings stand.
            client.export_fact_columns(ExportFactColumnsRequest {
                year,
                kind: FactKind::Unspecified as i32,
                include_voided: true,
            }),
        )
        .await
        .map_err(|e| anyhow::anyhow!("intake ExportFactColumns: {e}"))?;
    // Decoding and writing run on a thread of their own while the next
    // message arrives.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<ExportFactColumnsResponse>(2);
    let (dir, counter) = (dir.to_path_buf(), bar.clone());
    let writer = tokio::task::spawn_blocking(move || {
        let mut files = ColumnFiles::new(&dir);
        while let Some(m) = rx.blocking_recv() {
            counter.inc(files.push(&m, until_us)? as u64);
        }
        files.finish()
    });
    loop {
        let m = stream
            .message()
            .await
            .map_err(|e| anyhow::anyhow!("intake ExportFactColumns: {e}"));
        match m {
            Ok(Some(m)) => {
                if tx.send(m).await.is_err() {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                drop(tx);
                let _ = writer.await;
                return Err(e);
            }
        }
    }
    drop(tx);
    writer.await?
}

/// The three input files from ExportFactColumns messages, a row group of
/// at least [`FLUSH_FACTS`] facts at a time. Public for the export's
/// benchmark (intake-load export --into).
pub struct ColumnFiles {
    dir: std::path::PathBuf,
    held: Vec<[DataFrame; 3]>,
    rows: usize,
    sink: Sink,
    counts: Counts,
    counted: HashSet<(i32, String, String)>,
    /// Inspections by unit and power for Art. 19(7) (drawn_share.rs).
    routine: crate::drawn_share::Tally,
}

impl ColumnFiles {
    pub fn new(dir: &Path) -> ColumnFiles {
        ColumnFiles {
            dir: dir.to_path_buf(),
            held: Vec::new(),
            rows: 0,
            sink: Sink::default(),
            counts: Counts::default(),
            counted: HashSet::new(),
            routine: Default::default(),
        }
    }

    /// The message's facts; returns how many it held.
    pub fn push(&mut self, m: &ExportFactColumnsResponse, until_us: i64) -> anyhow::Result<usize> {
        let frames =
            crate::fact_columns::frames(m, until_us, &mut self.counted, &mut self.routine)?;
        let n = frames[0].height();
        self.rows += n;
        self.held.push(frames);
        if self.rows >= FLUSH_FACTS {
            self.flush()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        let held = std::mem::take(&mut self.held);
        self.rows = 0;
        let mut it = held.into_iter();
        let Some(mut acc) = it.next() else {
            return Ok(());
        };
        for more in it {
            for (a, b) in acc.iter_mut().zip(&more) {
                a.vstack_mut(b)?;
            }
        }
        for df in acc.iter_mut() {
            df.rechunk_mut();
        }
        self.sink.write_frames(&self.dir, acc, &mut self.counts)
    }

    pub fn finish(mut self) -> anyhow::Result<Counts> {
        self.flush()?;
        if self.sink.writers.is_empty() {
            // no fact at all: the files with their columns and no rows
            self.sink
                .write(&self.dir, &mut Facts::default(), &mut self.counts)?;
        }
        self.sink.finish()?;
        self.routine.write(&self.dir)?;
        Ok(self.counts)
    }
}

/// The year's facts, in intake's export order, as `facts.parquet`,
/// `fact_officers.parquet` and `findings.parquet`, a row group at a time.
/// Public for inputs made without intake (the synthetic city's year,
/// probity-city): one builder of the job's input schema.
pub struct FactFiles {
    dir: std::path::PathBuf,
    t: Facts,
    sink: Sink,
    counts: Counts,
    /// What the year's facts counted so far (Facts::count_once).
    counted: HashSet<(i32, String, String)>,
    /// Inspections by unit and power for Art. 19(7) (drawn_share.rs).
    routine: crate::drawn_share::Tally,
}

impl FactFiles {
    pub fn new(dir: &Path) -> FactFiles {
        FactFiles {
            dir: dir.to_path_buf(),
            t: Facts::default(),
            sink: Sink::default(),
            counts: Counts::default(),
            counted: HashSet::new(),
            routine: Default::default(),
        }
    }

    /// A fact as ExportFacts gives it (intake's output fields and findings
    /// filled in); a voided one brings only its findings.
    pub fn push(&mut self, f: &Fact) -> anyhow::Result<()> {
        if f.voided {
            self.t.push_findings(f);
        } else {
            self.t.push(f);
            self.t.count_once(&mut self.counted);
            self.routine.push(f);
        }
        if self.t.fid.len() >= FLUSH_FACTS {
            self.sink.write(&self.dir, &mut self.t, &mut self.counts)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<Counts> {
        self.sink.write(&self.dir, &mut self.t, &mut self.counts)?;
        self.sink.finish()?;
        self.routine.write(&self.dir)?;
        Ok(self.counts)
    }
}

/// Facts of other years that the year's facts refer to: a closing or a
/// decision of this year whose matter was accepted last year, a review or a
/// case-file review of last year's decision (and that decision's matter).
/// They carry the officers the year's facts are credited to, and are never
/// counted themselves. Asked from intake by key, in rounds until nothing
/// referred to is missing (a review's decision, then its matter); written
/// as `refs.parquet` (the facts table's columns) and `ref_officers.parquet`.
pub async fn referenced(peers: &Peers, dir: &Path, bar: &ProgressBar) -> anyhow::Result<usize> {
    let mut refs = Facts::default();
    let mut asked: std::collections::HashSet<(String, String)> = Default::default();
    // Review -> decision -> matter: two rounds find everything; the third
    // only confirms that nothing is missing.
    for _ in 0..3 {
        let (d, known) = (dir.to_path_buf(), refs.keys());
        let missing = crate::big_stack(move || missing_refs(&d, known)).await?;
        let keys: Vec<(String, String)> = missing
            .into_iter()
            .filter(|k| asked.insert(k.clone()))
            .collect();
        if keys.is_empty() {
            break;
        }
        for chunk in keys.chunks(LOOKUP_KEYS) {
            let found = lookup(peers, chunk).await?;
            for f in &found {
                refs.push(f);
            }
            bar.inc(chunk.len() as u64);
        }
    }
    let n = refs.fid.len();
    write_refs(dir, refs)?;
    Ok(n)
}

/// The two reference files, empty: inputs made without intake (the
/// benchmark's synthetic year) refer to nothing outside their year.
pub fn no_references(dir: &Path) -> anyhow::Result<()> {
    write_refs(dir, Facts::default())
}

/// The two reference files from the facts of other years given (as
/// BatchLookupFacts gives them): inputs made without intake.
pub fn write_references(dir: &Path, facts: &[Fact]) -> anyhow::Result<()> {
    let mut refs = Facts::default();
    for f in facts {
        refs.push(f);
    }
    write_refs(dir, refs)
}

fn write_refs(dir: &Path, mut refs: Facts) -> anyhow::Result<()> {
    let [mut facts, mut officers, _] = refs.frames()?;
    write_parquet(&mut facts, &dir.join("refs.parquet"))?;
    write_parquet(&mut officers, &dir.join("ref_officers.parquet"))?;
    Ok(())
}

/// Keys BatchLookupFacts takes at once.
pub(crate) const LOOKUP_KEYS: usize = 1000;

/// Live facts by (body, source id), at most LOOKUP_KEYS keys a call.
pub(crate) async fn lookup(peers: &Peers, keys: &[(String, String)]) -> anyhow::Result<Vec<Fact>> {
    let mut client =
        IntakeServiceClient::new(peers.intake.channel()).max_decoding_message_size(256 << 20);
    let found = peers
        .intake
        .call(
            "intake",
            client.batch_lookup_facts(BatchLookupFactsRequest {
                keys: keys
                    .iter()
                    .map(|(body, source_id)| LookupFactRequest {
                        body: body.clone(),
                        source_id: source_id.clone(),
                    })
                    .collect(),
                include_voided: false,
            }),
        )
        .await
        .map_err(|e| anyhow::anyhow!("intake BatchLookupFacts: {e}"))?;
    Ok(found.facts)
}

/// (body, source id) referred to by the year's facts or by the references
/// found so far, and found in neither.
fn missing_refs(dir: &Path, found: FoundKeys) -> anyhow::Result<Vec<(String, String)>> {
    let keys = |lf: LazyFrame| lf.select([col("body"), col("source_id")]);
    let wanted = |lf: LazyFrame| {
        lf.filter(col("ref_source").neq(lit("")))
            .select([col("body"), col("ref_source").alias("source_id")])
    };
    let year = crate::compute::scan(dir, "facts.parquet")?;
    let so_far = polars::df!(
        "body" => found.body,
        "source_id" => found.source_id,
        "ref_source" => found.ref_source,
    )?
    .lazy();
    let known = concat(
        [keys(year.clone()), keys(so_far.clone())],
        UnionArgs::default(),
    )?
    .with_column(lit(true).alias("known"));
    let missing = concat([wanted(year), wanted(so_far)], UnionArgs::default())?
        .unique(None, UniqueKeepStrategy::Any)
        .join(
            known,
            [col("body"), col("source_id")],
            [col("body"), col("source_id")],
            JoinArgs::new(JoinType::Left),
        )
        .filter(col("known").is_null())
        .select([col("body"), col("source_id")])
        .sort(["body", "source_id"], Default::default());
    let df = crate::collect(missing)?;
    let body = df.column("body")?.str()?;
    let source = df.column("source_id")?.str()?;
    Ok(body
        .iter()
        .zip(source.iter())
        .filter_map(|(b, s)| Some((b?.to_string(), s?.to_string())))
        .collect())
}

/// Facts held before they are written as a row group: memory stays bounded
/// by this, not by the year.
const FLUSH_FACTS: usize = 262_144;

/// The three input files, written a row group at a time.
#[derive(Default)]
struct Sink {
    writers: Vec<polars::io::parquet::write::BatchedWriter<File>>,
}

impl Sink {
    fn write(&mut self, dir: &Path, t: &mut Facts, counts: &mut Counts) -> anyhow::Result<()> {
        let frames = t.frames()?;
        self.write_frames(dir, frames, counts)
    }

    /// One row group of each file (the facts table, fact_officers,
    /// findings); the first makes the files.
    fn write_frames(
        &mut self,
        dir: &Path,
        frames: [DataFrame; 3],
        counts: &mut Counts,
    ) -> anyhow::Result<()> {
        counts.facts += frames[0].height();
        counts.fact_officers += frames[1].height();
        counts.findings += frames[2].height();
        if self.writers.is_empty() {
            for (df, name) in
                frames
                    .iter()
                    .zip(["facts.parquet", "fact_officers.parquet", "findings.parquet"])
            {
                self.writers.push(
                    crate::parquet_writer(File::create(dir.join(name))?).batched(df.schema())?,
                );
            }
        }
        for (w, df) in self.writers.iter_mut().zip(&frames) {
            if df.height() > 0 || counts.facts == 0 {
                w.write_batch(df)?;
            }
        }
        Ok(())
    }

    fn finish(&self) -> anyhow::Result<()> {
        for w in &self.writers {
            w.finish()?;
        }
        Ok(())
    }
}

impl Facts {
    /// What is held so far as the three tables; the builders start empty again.
    fn frames(&mut self) -> PolarsResult<[DataFrame; 3]> {
        let t = std::mem::take(self);
        Ok([
            DataFrame::new_infer_height(vec![
                Column::new("fid".into(), t.fid),
                Column::new("kind".into(), t.kind),
                Column::new("body".into(), t.body),
                Column::new("source_id".into(), t.source_id),
                Column::new("ref_source".into(), t.ref_source),
                Column::new("occurred_us".into(), t.occurred_us),
                Column::new("records".into(), t.records),
                Column::new("random".into(), t.random),
                Column::new("wrongful".into(), t.wrongful),
                Column::new("repeat".into(), t.repeat),
                Column::new("major".into(), t.major),
                Column::new("reviewed".into(), t.reviewed),
                Column::new("penalty".into(), t.penalty),
                Column::new("within".into(), t.within),
                Column::new("hours".into(), t.hours),
                Column::new("exam".into(), t.exam),
                Column::new("has_exam".into(), t.has_exam),
                Column::new("six_ok".into(), t.six_ok),
                Column::new("transfer_kind".into(), t.transfer_kind),
                Column::new("item_score".into(), t.item_score),
                Column::new("item_year".into(), t.item_year),
            ])?,
            DataFrame::new_infer_height(vec![
                Column::new("fid".into(), t.of_fid),
                Column::new("officer".into(), t.of_officer),
            ])?,
            DataFrame::new_infer_height(vec![
                Column::new("fid".into(), t.fi_fid),
                Column::new("body".into(), t.fi_body),
                Column::new("officer".into(), t.fi_officer),
                Column::new("rule".into(), t.fi_rule),
            ])?,
        ])
    }
}

/// The registry snapshot: every body, every officer with the days they were
/// active in post between `from_us` and `until_us`.
pub async fn registry(
    peers: &Peers,
    from_us: i64,
    until_us: i64,
    dir: &Path,
    bar: &ProgressBar,
) -> anyhow::Result<(usize, usize)> {
    let mut client = peers.registry_client();
    let mut bodies = Vec::new();
    let mut token = String::new();
    loop {
        let page = peers
            .registry
            .call(
                "the registry",
                client.list_bodies(ListBodiesRequest {
                    page_size: 1000,
                    page_token: token,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| anyhow::anyhow!("registry ListBodies: {e}"))?;
        bodies.extend(page.bodies);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let mut officers = Vec::new();
    let mut token = String::new();
    loop {
        let page = peers
            .registry
            .call(
                "the registry",
                client.list_officers(ListOfficersRequest {
                    page_size: 1000,
                    page_token: token,
                    ..Default::default()
                }),
            )
            .await
            .map_err(|e| anyhow::anyhow!("registry ListOfficers: {e}"))?;
        officers.extend(page.officers);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    bar.set_length(officers.len() as u64);
    // Days in post and the body at the window's end: each officer's
    // history, sixteen at a time.
    let held: HashMap<String, (f64, Option<String>)> =
        futures::stream::iter(officers.iter().map(|o| {
            let mut c = client.clone();
            let name = o.name.clone();
            async move {
                let h = peers
                    .registry
                    .call(
                        "the registry",
                        c.get_officer_history(GetOfficerHistoryRequest {
                            officer: name.clone(),
                        }),
                    )
                    .await
                    .map_err(|e| anyhow::anyhow!("registry GetOfficerHistory {name}: {e}"))?;
                bar.inc(1);
                let spans: Vec<(i64, bool)> = h
                    .events
                    .iter()
                    .map(|e| {
                        (
                            e.effective_time
                                .as_ref()
                                .and_then(from_ts)
                                .map(|t| t.timestamp_micros())
                                .unwrap_or(0),
                            e.to_status == OfficerStatus::Active as i32,
                        )
                    })
                    .collect();
                let at = |e: &probity_proto::registry::v1::OfficerEvent| {
                    e.effective_time
                        .as_ref()
                        .and_then(from_ts)
                        .map(|t| t.timestamp_micros())
                        .unwrap_or(0)
                };
                // An officer transferred after the window is ranked where the
                // year's work was done: the body the last move inside it led to.
                let body = h
                    .events
                    .iter()
                    .filter(|e| !e.to_body.is_empty() && at(e) <= until_us)
                    .max_by_key(|e| at(e))
                    .map(|e| e.to_body.clone());
                anyhow::Ok((name, (active_days(&spans, from_us, until_us), body)))
            }
        }))
        .buffer_unordered(16)
        .try_collect()
        .await?;
    let officers: Vec<(Officer, f64)> = officers
        .into_iter()
        .map(|mut o| {
            let (days, body) = held.get(&o.name).cloned().unwrap_or_default();
            if let Some(b) = body {
                o.body = b;
            }
            (o, days)
        })
        .collect();
    write_registry(dir, &bodies, &officers)
}

/// `bodies.parquet` and `officers.parquet`: every body, every officer with
/// the body the year's work was done in and their days in post. Public for
/// inputs made without the registry (probity-city's year).
pub fn write_registry(
    dir: &Path,
    bodies: &[Body],
    officers: &[(Officer, f64)],
) -> anyhow::Result<(usize, usize)> {
    let (mut b_name, mut b_parent, mut b_kind, mut b_display) = (vec![], vec![], vec![], vec![]);
    let mut b_vertical = Vec::with_capacity(bodies.len());
    for b in bodies {
        b_name.push(b.name.clone());
        b_parent.push(b.parent.clone());
        b_kind.push(b.kind);
        b_display.push(b.display_name.clone());
        b_vertical.push(b.vertically_managed);
    }
    let mut o_name = Vec::with_capacity(officers.len());
    let (mut o_body, mut o_kind, mut o_status, mut o_display, mut o_days) =
        (vec![], vec![], vec![], vec![], vec![]);
    for (o, days) in officers {
        o_days.push(*days);
        o_name.push(o.name.clone());
        o_body.push(o.body.clone());
        o_kind.push(o.kind);
        o_status.push(o.status);
        o_display.push(o.display_name.clone());
    }
    let counts = (b_name.len(), o_name.len());
    let mut bodies = DataFrame::new_infer_height(vec![
        Column::new("body".into(), b_name),
        Column::new("parent".into(), b_parent),
        Column::new("body_kind".into(), b_kind),
        Column::new("body_name".into(), b_display),
        // Art. 4: its superior's assessment is shown beside its rank
        Column::new("vertically_managed".into(), b_vertical),
    ])?;
    bodies.sort_in_place(["body"], SortMultipleOptions::default())?;
    write_parquet(&mut bodies, &dir.join("bodies.parquet"))?;
    let mut officers = DataFrame::new_infer_height(vec![
        Column::new("officer".into(), o_name),
        Column::new("body".into(), o_body),
        Column::new("officer_kind".into(), o_kind),
        Column::new("status".into(), o_status),
        Column::new("officer_name".into(), o_display),
        Column::new("days_in_post".into(), o_days),
    ])?;
    officers.sort_in_place(["officer"], SortMultipleOptions::default())?;
    write_parquet(&mut officers, &dir.join("officers.parquet"))?;
    Ok(counts)
}

/// Days between `from_us` and `until_us` when the officer was active, from
/// their history (each event: when it took effect, whether active after it).
pub fn active_days(events: &[(i64, bool)], from_us: i64, until_us: i64) -> f64 {
    let mut total = 0i64;
    let mut sorted = events.to_vec();
    sorted.sort_by_key(|e| e.0);
    for (i, (at, active)) in sorted.iter().enumerate() {
        if !active {
            continue;
        }
        let end = sorted.get(i + 1).map(|e| e.0).unwrap_or(until_us);
        let (a, b) = ((*at).max(from_us), end.min(until_us));
        if b > a {
            total += b - a;
        }
    }
    total as f64 / 86_400_000_000.0
}

#[cfg(test)]
mod tests {
    use super::{Facts, active_days};
    use probity_proto::intake::v1::{
        Decision, Fact, LegalReview, LegalReviewResult, MatterClosing, ReviewOutcome, fact::Payload,
    };

    #[test]
    fn a_case_lost_twice_and_a_matter_closed_twice_count_once() {
        let fact = |source: &str, payload: Payload| Fact {
            name: "facts/1".into(),
            body: "bodies/b".into(),
            source_id: source.into(),
            kind: payload.kind() as i32,
            payload: Some(payload),
            ..Default::default()
        };
        let lost = |decision: &str| {
            Payload::ReviewOutcome(ReviewOutcome {
                decision: decision.into(),
                wrongful: true,
                ..Default::default()
            })
        };
        let upheld = |decision: &str| {
            Payload::ReviewOutcome(ReviewOutcome {
                decision: decision.into(),
                ..Default::default()
            })
        };
        let closed = |matter: &str| {
            Payload::MatterClosing(MatterClosing {
                matter: matter.into(),
                ..Default::default()
            })
        };
        let (mut facts, mut counted) = (Facts::default(), Default::default());
        for (source, p) in [
            ("r1", lost("d1")),
            ("r2", lost("d1")),
            ("r3", lost("d2")),
            ("r4", upheld("d2")),
            ("c1", closed("d1")),
            ("c2", closed("m1")),
            ("c3", closed("m1")),
        ] {
            facts.push(&fact(source, p));
            facts.count_once(&mut counted);
        }
        // a closing and a review of the same source id are different things
        assert_eq!(
            facts.repeat,
            [false, true, false, false, false, false, true]
        );
    }

    #[test]
    fn a_major_decision_counts_as_reviewed_only_if_passed_before_it() {
        let at = |s: i64| chrono::DateTime::from_timestamp(s, 0).map(probity_common::names::to_ts);
        let decided = |result: LegalReviewResult, reviewed: i64| Fact {
            name: "facts/1".into(),
            payload: Some(Payload::Decision(Decision {
                major: true,
                decide_time: at(1_000),
                legal_review: Some(LegalReview {
                    result: result as i32,
                    review_time: at(reviewed),
                }),
                ..Default::default()
            })),
            ..Default::default()
        };
        let mut facts = Facts::default();
        facts.push(&decided(LegalReviewResult::Passed, 999));
        facts.push(&decided(LegalReviewResult::Passed, 1_001));
        facts.push(&decided(LegalReviewResult::Failed, 999));
        assert_eq!(facts.reviewed, [true, false, false]);
    }

    const DAY: i64 = 86_400_000_000;

    #[test]
    fn days_in_post_count_only_active_spans_inside_the_window() {
        assert_eq!(active_days(&[(-10 * DAY, true)], 0, 100 * DAY), 100.0);
        assert_eq!(
            active_days(
                &[(10 * DAY, true), (30 * DAY, false), (50 * DAY, true)],
                0,
                100 * DAY
            ),
            70.0
        );
        assert_eq!(active_days(&[(200 * DAY, true)], 0, 100 * DAY), 0.0);
    }
}
