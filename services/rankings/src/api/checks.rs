//! What a recorded run and its rows must be: every bad field at once.
use probity_common::{AppError, AppResult, Reason, Violations, names::parse_top};
use probity_proto::rankings::v1::{Level, Ranking, Run};

/// Reports a run may declare: its tables and report, and a year's notices.
const MAX_REPORTS: usize = 10_000;

/// Checks a run's header against `today` in the city; returns its id. A run
/// as of a day not yet come, or a finalized run of a year not yet over,
/// would seal a year before its facts exist (the real job would then meet
/// YEAR_SEALED for good).
pub fn run(r: &Run, today: chrono::NaiveDate) -> AppResult<String> {
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
    v.check(
        date.is_none_or(|d| d <= today),
        "run.as_of",
        format!("not after today in the city ({today})"),
    );
    v.non_empty(&r.plan_version, "run.plan_version");
    v.max_len(&r.plan_version, 64, "run.plan_version");
    v.max_len(&r.threshold_rule, 500, "run.threshold_rule");
    v.max_len(&r.plan_sha256, 64, "run.plan_sha256");
    v.max_len(&r.input_fingerprint, 64, "run.input_fingerprint");
    if v.max_items(r.reports.len(), MAX_REPORTS, "run.reports") {
        let mut paths = std::collections::HashSet::new();
        for (i, f) in r.reports.iter().enumerate() {
            let n = |x: &str| format!("run.reports[{i}].{x}");
            v.check(
                super::reports::valid_path(&f.path),
                n("path"),
                "one or two segments of letters, digits, '.', '-', '_'",
            );
            v.check(paths.insert(&f.path), n("path"), "appears twice");
            v.check(
                f.sha256.len() == 64
                    && f.sha256
                        .bytes()
                        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                n("sha256"),
                "64 lowercase hex digits",
            );
            v.check(
                (0..=super::reports::MAX_REPORT_BYTES).contains(&f.size_bytes),
                n("size_bytes"),
                format!("0 to {}", super::reports::MAX_REPORT_BYTES),
            );
        }
    }
    v.finish()?;
    if r.finalized && r.year >= chrono::Datelike::year(&today) {
        return Err(AppError::refused(
            Reason::YearNotOver,
            format!(
                "{} is not over in the city (today is {today}): a run of it is not finalized",
                r.year
            ),
        ));
    }
    Ok(id)
}

/// Today in the city (UTC+8), whose calendar the regulation's years follow.
pub fn city_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&probity_rules::city::city())
        .date_naive()
}

/// Adds row `i`'s bad fields to `v`.
pub fn row(v: &mut Violations, i: usize, r: &Ranking) {
    let f = |n: &str| format!("rankings[{i}].{n}");
    let collection = match Level::try_from(r.level) {
        Ok(Level::Officer) => Some("officers"),
        Ok(Level::Department | Level::Town) => Some("bodies"),
        _ => {
            v.add(f("level"), "OFFICER, DEPARTMENT or TOWN");
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
