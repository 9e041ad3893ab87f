//! Reads: one fact, its revisions, and listings and counts of facts and
//! findings by body, officer, period and kind (facts at their current
//! revisions; findings whatever revision they were found on).
use probity_common::{
    AppError, AppResult, Violations,
    db::stmt,
    names::{from_ts, next_token, page, top_field},
};
use probity_proto::intake::v1::*;
use sea_orm::{ConnectionTrait, Value};

use super::Ctx;
use crate::{Intake, finding_states, reporters, store};
use probity_common::body_scope;

/// The id in `name` (facts/{id}), or a violation of `field`.
pub(crate) fn fact_id(v: &mut Violations, name: &str, field: &str) -> i64 {
    match store::fact_id(name) {
        Some(id) => id,
        None => {
            v.add(field, "must be a resource name facts/{id}");
            0
        }
    }
}

/// The current revision of a fact the caller may see.
async fn visible(intake: &Intake, ctx: &Ctx, id: i64, name: &str) -> AppResult<store::Current> {
    let c = store::by_id(&intake.store.db, &[id])
        .await?
        .remove(&id)
        .ok_or_else(|| AppError::not_found(name))?;
    // Another department's facts are not there, as far as it can tell.
    body_scope::check(&ctx.principal, &c.body_path).map_err(|_| AppError::not_found(name))?;
    if !reporters::may_read(&ctx.principal, c.kind) {
        return Err(AppError::not_found(name));
    }
    Ok(c)
}

async fn load_one(intake: &Intake, id: i64, revision: i32, name: &str) -> AppResult<Fact> {
    store::load(&intake.store.db, &[(id, revision)])
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found(name))
}

pub async fn get_fact(intake: &Intake, ctx: &Ctx, r: GetFactRequest) -> AppResult<Fact> {
    let mut v = Violations::new();
    let id = fact_id(&mut v, &r.name, "name");
    v.finish()?;
    let c = visible(intake, ctx, id, &r.name).await?;
    load_one(intake, id, c.revision, &r.name).await
}

pub async fn lookup_fact(intake: &Intake, ctx: &Ctx, r: LookupFactRequest) -> AppResult<Fact> {
    let mut v = Violations::new();
    let body = top_field(&mut v, &r.body, "bodies", "body");
    v.non_empty(&r.source_id, "source_id");
    v.max_len(&r.source_id, 128, "source_id");
    v.finish()?;
    let what = format!("{} fact {}", r.body, r.source_id);
    let c = store::by_source(&intake.store.db, &[(body.clone(), r.source_id.clone())])
        .await?
        .remove(&(body, r.source_id.clone()))
        .ok_or_else(|| AppError::not_found(&what))?;
    body_scope::check(&ctx.principal, &c.body_path).map_err(|_| AppError::not_found(&what))?;
    if !reporters::may_read(&ctx.principal, c.kind) {
        return Err(AppError::not_found(&what));
    }
    load_one(intake, c.id, c.revision, &what).await
}

/// Keys one BatchLookupFacts may ask.
const BATCH_LOOKUP_MAX: usize = 1000;

pub async fn batch_lookup_facts(
    intake: &Intake,
    ctx: &Ctx,
    r: BatchLookupFactsRequest,
) -> AppResult<BatchLookupFactsResponse> {
    let mut v = Violations::new();
    if r.keys.is_empty() || r.keys.len() > BATCH_LOOKUP_MAX {
        v.add("keys", format!("must have 1 to {BATCH_LOOKUP_MAX} keys"));
    }
    let mut keys = Vec::with_capacity(r.keys.len());
    let mut seen = std::collections::HashSet::new();
    for (i, k) in r.keys.iter().enumerate() {
        let body = top_field(&mut v, &k.body, "bodies", &format!("keys[{i}].body"));
        let field = format!("keys[{i}].source_id");
        v.non_empty(&k.source_id, &field);
        v.max_len(&k.source_id, 128, &field);
        if seen.insert((body.clone(), k.source_id.clone())) {
            keys.push((body, k.source_id.clone()));
        }
    }
    v.finish()?;
    let found = store::by_source(&intake.store.db, &keys).await?;
    // Another department's facts are not there, as far as it can tell.
    let wanted: Vec<(i64, i32)> = keys
        .iter()
        .filter_map(|k| found.get(k))
        .filter(|c| r.include_voided || !c.voided)
        .filter(|c| body_scope::check(&ctx.principal, &c.body_path).is_ok())
        .map(|c| (c.id, c.revision))
        .collect();
    Ok(BatchLookupFactsResponse {
        facts: store::load(&intake.store.db, &wanted).await?,
    })
}

pub async fn list_fact_revisions(
    intake: &Intake,
    ctx: &Ctx,
    r: ListFactRevisionsRequest,
) -> AppResult<ListFactRevisionsResponse> {
    let mut v = Violations::new();
    let id = fact_id(&mut v, &r.name, "name");
    // The token is bound to this listing and fact: it continues no other.
    let key = format!("ListFactRevisions\n{}", r.name);
    let pg = page(&mut v, r.page_size, &r.page_token, &key);
    let after = match pg.after.as_deref().map(str::parse::<i32>) {
        None => 0,
        Some(Ok(rev)) if rev > 0 => rev,
        Some(_) => {
            v.add("page_token", "is not a token this listing issued");
            0
        }
    };
    v.finish()?;
    let c = visible(intake, ctx, id, &r.name).await?;
    let last = (i64::from(after) + pg.size as i64).min(i64::from(c.revision)) as i32;
    let wanted: Vec<(i64, i32)> = (after + 1..=last).map(|rev| (id, rev)).collect();
    let next_page_token = if last < c.revision {
        next_token(wanted.len(), &pg, Some(&last.to_string()), &key)
    } else {
        String::new()
    };
    Ok(ListFactRevisionsResponse {
        revisions: store::load(&intake.store.db, &wanted).await?,
        next_page_token,
    })
}

/// A WHERE clause under construction, with its bind values.
#[derive(Default)]
struct Where {
    parts: Vec<String>,
    values: Vec<Value>,
}

impl Where {
    fn add(&mut self, sql: &str, value: impl Into<Value>) {
        self.values.push(value.into());
        self.parts
            .push(sql.replace('?', &format!("${}", self.values.len())));
    }
    fn fixed(&mut self, sql: &str) {
        self.parts.push(sql.to_string());
    }
    fn sql(&self) -> String {
        if self.parts.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.parts.join(" AND "))
        }
    }
}

fn period(
    v: &mut Violations,
    w: &mut Where,
    from: Option<&prost_types::Timestamp>,
    to: Option<&prost_types::Timestamp>,
    col: &str,
) {
    for (t, field, op) in [(from, "filter.from", ">="), (to, "filter.to", "<")] {
        if let Some(t) = t {
            match from_ts(t) {
                Some(t) => w.add(&format!("{col} {op} ?"), t.timestamp_micros()),
                None => v.add(field, "is not a valid timestamp"),
            }
        }
    }
}

/// The filter shared by ListFacts and CountFacts; the officer join if asked.
fn fact_filter(v: &mut Violations, ctx: &Ctx, f: &FactFilter) -> (String, Where) {
    let mut w = Where::default();
    let mut join = String::new();
    if !f.body.is_empty() {
        let b = top_field(v, &f.body, "bodies", "filter.body");
        w.add("f.body = ?", b);
    }
    if !f.officer.is_empty() {
        let o = top_field(v, &f.officer, "officers", "filter.officer");
        join = "JOIN intake_fact_officers o ON o.fact_id = f.id AND o.revision = f.revision".into();
        w.add("o.officer = ?", o);
    }
    if f.kind != 0 {
        match FactKind::try_from(f.kind) {
            Ok(_) => w.add("f.kind = ?", f.kind),
            Err(_) => v.add("filter.kind", format!("unknown value {}", f.kind)),
        }
    }
    period(v, &mut w, f.from.as_ref(), f.to.as_ref(), "f.occurred_us");
    if !f.include_voided {
        w.add("f.voided = ?", false);
    }
    if let Some(p) = body_scope::read_pattern(&ctx.principal) {
        w.add("f.body_path LIKE ? ESCAPE '\\'", p);
    }
    (join, w)
}

fn filter_key(m: &impl prost::Message) -> String {
    probity_common::audit::sha256_hex(&m.encode_to_vec())
}

pub async fn list_facts(
    intake: &Intake,
    ctx: &Ctx,
    r: ListFactsRequest,
) -> AppResult<ListFactsResponse> {
    let mut v = Violations::new();
    let filter = r.filter.unwrap_or_default();
    let key = filter_key(&filter);
    let pg = page(&mut v, r.page_size, &r.page_token, &key);
    let (join, mut w) = fact_filter(&mut v, ctx, &filter);
    v.finish()?;
    if let Some(after) = &pg.after {
        w.add("f.id > ?", after.parse::<i64>().unwrap_or(i64::MAX));
    }
    let db = &intake.store.db;
    let sql = format!(
        "SELECT f.id, f.revision FROM intake_facts f {join} {} ORDER BY f.id LIMIT {}",
        w.sql(),
        pg.size
    );
    let rows = db.query_all_raw(stmt(db, &sql, w.values)).await?;
    let wanted = rows
        .iter()
        .map(|row| {
            Ok((
                row.try_get::<i64>("", "id")?,
                row.try_get::<i32>("", "revision")?,
            ))
        })
        .collect::<AppResult<Vec<_>>>()?;
    let facts = store::load(db, &wanted).await?;
    let last = wanted.last().map(|(id, _)| id.to_string());
    Ok(ListFactsResponse {
        next_page_token: next_token(wanted.len(), &pg, last.as_deref(), &key),
        facts,
    })
}

pub async fn count_facts(
    intake: &Intake,
    ctx: &Ctx,
    r: CountFactsRequest,
) -> AppResult<CountFactsResponse> {
    let mut v = Violations::new();
    let (join, w) = fact_filter(&mut v, ctx, &r.filter.unwrap_or_default());
    v.finish()?;
    let db = &intake.store.db;
    let sql = format!(
        "SELECT f.kind, COUNT(*) AS n FROM intake_facts f {join} {} GROUP BY f.kind ORDER BY f.kind",
        w.sql()
    );
    let mut out = CountFactsResponse::default();
    for row in db.query_all_raw(stmt(db, &sql, w.values)).await? {
        let count: i64 = row.try_get("", "n")?;
        out.total += count;
        out.by_kind.push(KindCount {
            kind: row.try_get("", "kind")?,
            count,
        });
    }
    Ok(out)
}

fn finding_filter(v: &mut Violations, ctx: &Ctx, f: &FindingFilter) -> Where {
    let mut w = Where::default();
    // A finding outlives a correction or void of its fact: listed whatever
    // revision the fact is at, by where it stands.
    let mut states = Vec::new();
    if v.max_items(f.states.len(), 4, "filter.states") {
        for (i, s) in f.states.iter().enumerate() {
            match FindingState::try_from(*s) {
                Ok(FindingState::Unspecified) | Err(_) => v.add(
                    format!("filter.states[{i}]"),
                    "OPEN, SUPERSEDED_PENDING, CLEARED or UPHELD",
                ),
                Ok(_) => states.push(*s),
            }
        }
    }
    if f.states.is_empty() {
        states = finding_states::IN_FORCE.to_vec();
    }
    states.sort_unstable();
    states.dedup();
    if !states.is_empty() {
        // Validated enum values, not caller text.
        let list: Vec<String> = states.iter().map(i32::to_string).collect();
        w.fixed(&format!("x.state IN ({})", list.join(", ")));
    }
    if !f.body.is_empty() {
        let b = top_field(v, &f.body, "bodies", "filter.body");
        w.add("x.body = ?", b);
    }
    if !f.officer.is_empty() {
        let o = top_field(v, &f.officer, "officers", "filter.officer");
        w.add("x.officer = ?", o);
    }
    if !f.rule.is_empty() {
        v.check(
            probity_rules::catalogue::by_code(&f.rule).is_some(),
            "filter.rule",
            "no such rule",
        );
        w.add("x.rule = ?", f.rule.clone());
    }
    period(v, &mut w, f.from.as_ref(), f.to.as_ref(), "x.occurred_us");
    if let Some(p) = body_scope::read_pattern(&ctx.principal) {
        w.add("f.body_path LIKE ? ESCAPE '\\'", p);
    }
    w
}

const FINDINGS_FROM: &str = "FROM intake_findings x JOIN intake_facts f ON f.id = x.fact_id";

pub async fn list_findings(
    intake: &Intake,
    ctx: &Ctx,
    r: ListFindingsRequest,
) -> AppResult<ListFindingsResponse> {
    let mut v = Violations::new();
    let filter = r.filter.unwrap_or_default();
    let key = filter_key(&filter);
    let pg = page(&mut v, r.page_size, &r.page_token, &key);
    let mut w = finding_filter(&mut v, ctx, &filter);
    v.finish()?;
    if let Some(after) = &pg.after {
        // (fact, revision, seq): a fact's findings span its revisions.
        let mut parts = after.splitn(3, ':').map(|x| x.parse::<i64>().ok());
        let (id, rev, seq) = (
            parts.next().flatten().unwrap_or(i64::MAX),
            parts.next().flatten().unwrap_or(i64::MAX),
            parts.next().flatten().unwrap_or(i64::MAX),
        );
        for x in [id, rev, seq] {
            w.values.push(x.into());
        }
        let n = w.values.len();
        let (a, b, c) = (n - 2, n - 1, n);
        w.fixed(&format!(
            "(x.fact_id > ${a} OR (x.fact_id = ${a} AND (x.revision > ${b} \
             OR (x.revision = ${b} AND x.seq > ${c}))))"
        ));
    }
    let db = &intake.store.db;
    let sql = format!(
        "SELECT {}, f.source_id {FINDINGS_FROM} {} ORDER BY x.fact_id, x.revision, x.seq LIMIT {}",
        finding_states::COLUMNS,
        w.sql(),
        pg.size
    );
    let rows = db.query_all_raw(stmt(db, &sql, w.values)).await?;
    let mut findings = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in &rows {
        let mut f = finding_states::view(row)?;
        f.source_id = row.try_get("", "source_id")?;
        last = Some(format!(
            "{}:{}:{}",
            row.try_get::<i64>("", "fact_id")?,
            row.try_get::<i32>("", "revision")?,
            row.try_get::<i32>("", "seq")?
        ));
        findings.push(f);
    }
    Ok(ListFindingsResponse {
        next_page_token: next_token(findings.len(), &pg, last.as_deref(), &key),
        findings,
    })
}

pub async fn count_findings(
    intake: &Intake,
    ctx: &Ctx,
    r: CountFindingsRequest,
) -> AppResult<CountFindingsResponse> {
    let mut v = Violations::new();
    let w = finding_filter(&mut v, ctx, &r.filter.unwrap_or_default());
    v.finish()?;
    let db = &intake.store.db;
    let sql = format!(
        "SELECT x.rule, x.article, COUNT(*) AS n {FINDINGS_FROM} {} GROUP BY x.rule, x.article ORDER BY x.rule",
        w.sql()
    );
    let mut out = CountFindingsResponse::default();
    for row in db.query_all_raw(stmt(db, &sql, w.values)).await? {
        let count: i64 = row.try_get("", "n")?;
        out.total += count;
        out.by_rule.push(RuleCount {
            rule: row.try_get("", "rule")?,
            article: row.try_get("", "article")?,
            count,
        });
    }
    Ok(out)
}
