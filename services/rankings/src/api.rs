//! The gRPC surface: RecordRun (the job's stream, one transaction, once per
//! run id; a sealed year takes no other run) and the reads.
use probity_common::{
    AppError, AppResult, Reason, Violations,
    audit::sha256_hex,
    auth::Principal,
    body_scope,
    db::{Filter, stmt},
    names::{next_token, page, parse_top, to_ts},
};
use probity_proto::rankings::v1::{rankings_service_server::RankingsService, *};
use prost::Message;
use sea_orm::{ConnectionTrait, Value};
use tonic::{Request, Response, Status, Streaming};

use crate::Rankings;

pub struct RankingsApi(pub std::sync::Arc<Rankings>);

/// Rows one run may hold.
const MAX_ROWS: usize = 2_000_000;
/// Rows per INSERT: well under SQLite's and PostgreSQL's bind limits.
const CHUNK: usize = 500;

const RECORD: &str = "/probity.rankings.v1.RankingsService/RecordRun";

fn check_run(r: &Run) -> AppResult<String> {
    let mut v = Violations::new();
    let id = parse_top(&r.name, "runs").unwrap_or_else(|| {
        v.add("run.name", "must be runs/{run}");
        String::new()
    });
    v.check(
        (2000..=2100).contains(&r.year),
        "run.year",
        "a year 2000-2100",
    );
    let date = chrono::NaiveDate::parse_from_str(&r.as_of, "%Y-%m-%d").ok();
    v.check(
        date.is_some_and(|d| chrono::Datelike::year(&d) == r.year),
        "run.as_of",
        "YYYY-MM-DD within the run's year",
    );
    v.non_empty(&r.plan_version, "run.plan_version");
    v.max_len(&r.plan_version, 64, "run.plan_version");
    v.max_len(&r.threshold_rule, 500, "run.threshold_rule");
    v.max_len(&r.plan_sha256, 64, "run.plan_sha256");
    v.max_len(&r.input_fingerprint, 64, "run.input_fingerprint");
    v.finish()?;
    Ok(id)
}

fn check_row(v: &mut Violations, i: usize, r: &Ranking) {
    let f = |n: &str| format!("rankings[{i}].{n}");
    let collection = match Level::try_from(r.level) {
        Ok(Level::Officer) => Some("officers"),
        Ok(Level::Department) => Some("bodies"),
        _ => {
            v.add(f("level"), "OFFICER or DEPARTMENT");
            None
        }
    };
    if let Some(c) = collection {
        v.check(
            parse_top(&r.subject, c).is_some(),
            f("subject"),
            format!("{c}/{{id}} for this level"),
        );
    }
    for (name, x) in [
        ("score", r.score),
        ("peer_mean", r.peer_mean),
        ("days_in_post", r.days_in_post),
    ] {
        v.check(x.is_finite(), f(name), "a finite number");
    }
    v.check(
        (0.0..=100.0).contains(&r.percentile),
        f("percentile"),
        "0 to 100",
    );
    v.check(r.rank >= 0 && r.peer_size >= 0, f("rank"), "not negative");
    if v.max_items(r.contributions.len(), 64, &f("contributions")) {
        for (j, c) in r.contributions.iter().enumerate() {
            let g = |n: &str| f(&format!("contributions[{j}].{n}"));
            for (name, x) in [
                ("value", c.value.unwrap_or(0.0)),
                ("normalized", c.normalized),
                ("weight", c.weight),
                ("points", c.points),
            ] {
                v.check(x.is_finite(), g(name), "a finite number");
            }
            for (name, t) in [
                ("indicator", &c.indicator),
                ("article", &c.article),
                ("title_zh", &c.title_zh),
                ("title_en", &c.title_en),
            ] {
                v.max_len(t, 200, &g(name));
            }
        }
    }
    v.check(
        r.body.is_empty() || parse_top(&r.body, "bodies").is_some(),
        f("body"),
        "bodies/{id}",
    );
    v.max_len(&r.display_name, 200, &f("display_name"));
    v.max_len(&r.body_path, 4000, &f("body_path"));
    v.max_len(&r.peer_group, 200, &f("peer_group"));
}

impl RankingsApi {
    async fn record(
        &self,
        principal: &Principal,
        mut run: Run,
        rows: Vec<Ranking>,
    ) -> AppResult<Run> {
        let id = check_run(&run)?;
        let store = &self.0.store;
        let mut w = store.write(principal, RECORD, "", &run).await?;
        let txn = w.txn();
        if let Some(row) = txn
            .query_one_raw(stmt(
                txn,
                "SELECT doc FROM rankings_runs WHERE id = $1",
                vec![id.clone().into()],
            ))
            .await?
        {
            // The same run again (the job retried): the first record stands.
            let doc: Vec<u8> = row.try_get("", "doc")?;
            return Run::decode(doc.as_slice()).map_err(AppError::internal);
        }
        let sealed = txn
            .query_one_raw(stmt(
                txn,
                "SELECT id FROM rankings_runs WHERE year = $1 AND finalized = $2",
                vec![run.year.into(), true.into()],
            ))
            .await?;
        if let Some(s) = sealed {
            let sid: String = s.try_get("", "id")?;
            return Err(AppError::refused(
                Reason::YearSealed,
                format!(
                    "{} was sealed by runs/{sid}: no other run of the year is recorded",
                    run.year
                ),
            ));
        }
        let now = chrono::Utc::now();
        run.create_time = Some(to_ts(now));
        run.rows = rows.len() as i32;
        txn.execute_raw(stmt(
            txn,
            "INSERT INTO rankings_runs (id, year, finalized, created_us, doc, as_of) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![
                id.clone().into(),
                run.year.into(),
                run.finalized.into(),
                now.timestamp_micros().into(),
                run.encode_to_vec().into(),
                run.as_of.clone().into(),
            ],
        ))
        .await?;
        let mut digest = Vec::with_capacity(rows.len() * 64);
        for (n, chunk) in rows.chunks(CHUNK).enumerate() {
            let mut sql = String::from(
                "INSERT INTO rankings_rows (run_id, level, ord, subject, body_path, peer_group, flagged, doc) VALUES ",
            );
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 8);
            for (i, r) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let b = values.len();
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8
                ));
                let doc = r.encode_to_vec();
                digest.extend_from_slice(sha256_hex(&doc).as_bytes());
                values.extend([
                    id.clone().into(),
                    r.level.into(),
                    ((n * CHUNK + i) as i64).into(),
                    r.subject.clone().into(),
                    r.body_path.clone().into(),
                    r.peer_group.clone().into(),
                    (r.below_threshold || r.failing || r.outstanding).into(),
                    doc.into(),
                ]);
            }
            txn.execute_raw(stmt(txn, &sql, values)).await?;
        }
        w.audit(
            &run.name,
            serde_json::json!({
                "op": "record_run", "year": run.year, "as_of": run.as_of, "finalized": run.finalized,
                "plan_version": run.plan_version, "input_fingerprint": run.input_fingerprint,
                "rows": rows.len(), "rows_sha256": sha256_hex(&digest),
            }),
        )
        .await?;
        w.commit(run).await
    }

    /// The run asked for: by name, or the year's latest (its sealed one).
    async fn resolve(&self, run: &str, year: i32) -> AppResult<Run> {
        let db = &self.0.store.db;
        let row = if !run.is_empty() {
            let id = parse_top(run, "runs")
                .ok_or_else(|| AppError::invalid("run", "must be runs/{run}"))?;
            db.query_one_raw(stmt(
                db,
                "SELECT doc FROM rankings_runs WHERE id = $1",
                vec![id.into()],
            ))
            .await?
        } else {
            if !(2000..=2100).contains(&year) {
                return Err(AppError::invalid("year", "a run or a year 2000-2100"));
            }
            db.query_one_raw(stmt(
                db,
                // the sealed run, else the one counting the latest day
                // (the last recorded of those: a rerun after a fix)
                "SELECT doc FROM rankings_runs WHERE year = $1 \
                 ORDER BY finalized DESC, as_of DESC, created_us DESC, id DESC LIMIT 1",
                vec![year.into()],
            ))
            .await?
        };
        let row = row.ok_or_else(|| {
            AppError::not_found(if run.is_empty() {
                format!("a run of {year}")
            } else {
                run.to_string()
            })
        })?;
        let doc: Vec<u8> = row.try_get("", "doc")?;
        Run::decode(doc.as_slice()).map_err(AppError::internal)
    }
}

fn ctx<T>(req: &Request<T>) -> Result<Principal, Status> {
    Ok(Principal::from_request(req)?)
}

#[tonic::async_trait]
impl RankingsService for RankingsApi {
    async fn record_run(
        &self,
        req: Request<Streaming<RecordRunRequest>>,
    ) -> Result<Response<Run>, Status> {
        let principal = ctx(&req)?;
        let mut stream = req.into_inner();
        let run = match stream.message().await? {
            Some(RecordRunRequest {
                part: Some(record_run_request::Part::Run(r)),
            }) => r,
            _ => {
                return Err(
                    AppError::invalid("run", "the first message of the stream is the run").into(),
                );
            }
        };
        let mut rows = Vec::new();
        let mut subjects = std::collections::HashSet::new();
        let mut v = Violations::new();
        while let Some(m) = stream.message().await? {
            match m.part {
                Some(record_run_request::Part::Rankings(b)) => {
                    for r in b.rankings {
                        check_row(&mut v, rows.len(), &r);
                        // GetRanking reads one row per subject.
                        v.check(
                            subjects.insert(r.subject.clone()),
                            format!("rankings[{}].subject", rows.len()),
                            "appears twice in the run",
                        );
                        rows.push(r);
                    }
                    if rows.len() > MAX_ROWS {
                        return Err(AppError::invalid(
                            "rankings",
                            format!("at most {MAX_ROWS} rows a run"),
                        )
                        .into());
                    }
                }
                _ => v.add("run", "one run per stream"),
            }
        }
        v.finish()?;
        Ok(Response::new(self.record(&principal, run, rows).await?))
    }

    async fn get_run(&self, req: Request<GetRunRequest>) -> Result<Response<Run>, Status> {
        let name = req.into_inner().name;
        if parse_top(&name, "runs").is_none() {
            return Err(AppError::invalid("name", "must be runs/{run}").into());
        }
        Ok(Response::new(self.resolve(&name, 0).await?))
    }

    async fn list_runs(
        &self,
        req: Request<ListRunsRequest>,
    ) -> Result<Response<ListRunsResponse>, Status> {
        let r = req.into_inner();
        let mut v = Violations::new();
        v.check((2000..=2100).contains(&r.year), "year", "a year 2000-2100");
        let key = r.year.to_string();
        let p = page(&mut v, r.page_size, &r.page_token, &key);
        v.finish()?;
        let db = &self.0.store.db;
        let (sql, values): (String, Vec<Value>) = match &p.after {
            None => ("SELECT id, doc FROM rankings_runs WHERE year = $1 ORDER BY created_us DESC, id DESC LIMIT $2".into(), vec![r.year.into(), (p.size as i64).into()]),
            Some(after) => {
                let (us, id) = after.split_once(':').unwrap_or(("0", ""));
                (
                    "SELECT id, doc FROM rankings_runs WHERE year = $1 AND (created_us < $2 OR (created_us = $2 AND id < $3)) ORDER BY created_us DESC, id DESC LIMIT $4".into(),
                    vec![r.year.into(), us.parse::<i64>().unwrap_or(0).into(), id.to_string().into(), (p.size as i64).into()],
                )
            }
        };
        let rows = db
            .query_all_raw(stmt(db, &sql, values))
            .await
            .map_err(AppError::from)?;
        let mut runs = Vec::new();
        for row in &rows {
            let doc: Vec<u8> = row.try_get("", "doc").map_err(AppError::from)?;
            runs.push(Run::decode(doc.as_slice()).map_err(AppError::internal)?);
        }
        let last = runs.last().map(|x| {
            let us = x
                .create_time
                .as_ref()
                .map(probity_common::names::ts_us)
                .unwrap_or(0);
            format!("{us}:{}", x.name.trim_start_matches("runs/"))
        });
        Ok(Response::new(ListRunsResponse {
            next_page_token: next_token(runs.len(), &p, last.as_deref(), &key),
            runs,
        }))
    }

    async fn list_rankings(
        &self,
        req: Request<ListRankingsRequest>,
    ) -> Result<Response<ListRankingsResponse>, Status> {
        let principal = ctx(&req)?;
        let r = req.into_inner();
        let mut v = Violations::new();
        if !matches!(
            Level::try_from(r.level),
            Ok(Level::Officer | Level::Department)
        ) {
            v.add("level", "OFFICER or DEPARTMENT");
        }
        v.max_len(&r.peer_group, 200, "peer_group");
        let key = format!(
            "{}|{}|{}|{}|{}",
            r.run, r.year, r.level, r.peer_group, r.flagged_only
        );
        let p = page(&mut v, r.page_size, &r.page_token, &key);
        v.finish()?;
        let run = self.resolve(&r.run, r.year).await?;
        let id = run.name.trim_start_matches("runs/").to_string();
        let mut q = Filter::default();
        q.and("run_id = $?", id).and("level = $?", r.level);
        if !r.peer_group.is_empty() {
            q.and("peer_group = $?", r.peer_group.clone());
        }
        if r.flagged_only {
            q.and("flagged = $?", true);
        }
        if let Some(pat) = body_scope::read_pattern(&principal) {
            q.and("body_path LIKE $? ESCAPE '\\'", pat);
        }
        if let Some(after) = &p.after {
            q.and("ord > $?", after.parse::<i64>().unwrap_or(i64::MAX));
        }
        let sql = format!(
            "SELECT ord, doc FROM rankings_rows {} ORDER BY ord LIMIT {}",
            q.clause(),
            p.size
        );
        let values = q.values;
        let db = &self.0.store.db;
        let rows = db
            .query_all_raw(stmt(db, &sql, values))
            .await
            .map_err(AppError::from)?;
        let mut out = Vec::new();
        let mut last = None;
        for row in &rows {
            last = Some(
                row.try_get::<i64>("", "ord")
                    .map_err(AppError::from)?
                    .to_string(),
            );
            let doc: Vec<u8> = row.try_get("", "doc").map_err(AppError::from)?;
            out.push(Ranking::decode(doc.as_slice()).map_err(AppError::internal)?);
        }
        Ok(Response::new(ListRankingsResponse {
            run: Some(run),
            next_page_token: next_token(out.len(), &p, last.as_deref(), &key),
            rankings: out,
        }))
    }

    async fn get_ranking(
        &self,
        req: Request<GetRankingRequest>,
    ) -> Result<Response<Ranking>, Status> {
        let principal = ctx(&req)?;
        let r = req.into_inner();
        if parse_top(&r.subject, "officers").is_none() && parse_top(&r.subject, "bodies").is_none()
        {
            return Err(AppError::invalid("subject", "officers/{officer} or bodies/{body}").into());
        }
        let run = self.resolve(&r.run, r.year).await?;
        let db = &self.0.store.db;
        let row = db
            .query_one_raw(stmt(
                db,
                "SELECT body_path, doc FROM rankings_rows WHERE run_id = $1 AND subject = $2",
                vec![
                    run.name.trim_start_matches("runs/").to_string().into(),
                    r.subject.clone().into(),
                ],
            ))
            .await
            .map_err(AppError::from)?
            .ok_or_else(|| AppError::not_found(&r.subject))?;
        let path: String = row.try_get("", "body_path").map_err(AppError::from)?;
        // Another department's rankings are not there, as far as it can tell.
        body_scope::check(&principal, &path).map_err(|_| AppError::not_found(&r.subject))?;
        let doc: Vec<u8> = row.try_get("", "doc").map_err(AppError::from)?;
        Ok(Response::new(
            Ranking::decode(doc.as_slice()).map_err(AppError::internal)?,
        ))
    }
}
