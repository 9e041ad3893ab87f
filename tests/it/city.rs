//! The synthetic city (issue 16) against real servers: it builds through
//! the APIs; the registry and intake hold what the plan asked for; the same
//! seed draws the same city; intake found the planted breaches where the
//! ground truth says and nowhere else; the backdated card was refused; the
//! rankings flag the planted performers and nobody else.
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    path::Path,
};

use probity_city::{
    CityPlan, DevTokens, Endpoints, Quiet,
    truth::{Flag, Pattern, SubjectKind, Worst},
};
use probity_common::auth::Role;
use probity_proto::{
    intake::v1::{CountFactsRequest, FactFilter, FindingFilter, FindingState, ListFindingsRequest},
    registry::v1::{ListBodiesRequest, ListCredentialsRequest, ListOfficersRequest},
};

use crate::{db_test, harness::TestServer, intake::intake};

/// A handful of departments, two towns, a few thousand facts.
pub(crate) fn small_plan(seed: u64) -> CityPlan {
    CityPlan {
        seed,
        facts: 4_000,
        departments: 8,
        towns: 2,
        officers: 90,
        year: probity_city::plan::last_full_year(),
        streams: 4,
    }
}

async fn registry_counts(s: &TestServer) -> (u64, u64, u64) {
    let mut c = s.legal().await;
    let (mut bodies, mut officers, mut cards) = (0, 0, 0);
    let mut token = String::new();
    loop {
        let r = c
            .list_bodies(ListBodiesRequest {
                page_size: 1000,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        bodies += r.bodies.len() as u64;
        token = r.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    loop {
        let r = c
            .list_officers(ListOfficersRequest {
                page_size: 1000,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        officers += r.officers.len() as u64;
        token = r.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    loop {
        let r = c
            .list_credentials(ListCredentialsRequest {
                page_size: 1000,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        cards += r.credentials.len() as u64;
        token = r.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    (bodies, officers, cards)
}

/// Every finding in force: (body, source id, rule) -> (officer named, state).
async fn findings(s: &TestServer) -> BTreeMap<(String, String, String), (String, i32)> {
    let mut c = intake(s, Role::LegalOffice, None).await;
    let mut out = BTreeMap::new();
    let mut token = String::new();
    loop {
        let r = c
            .list_findings(ListFindingsRequest {
                filter: Some(FindingFilter::default()),
                page_size: 1000,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        for f in r.findings {
            let key = (f.body, f.source_id, f.rule);
            assert!(
                out.insert(key.clone(), (f.officer, f.state)).is_none(),
                "{key:?} found twice"
            );
        }
        token = r.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    out
}

db_test!(
    a_city_is_built_and_ranked_as_planted,
    |backend| async move {
        let s = TestServer::start(backend).await;
        let plan = small_plan(16);
        let city = probity_city::build(
            &Endpoints::all(&s.url()),
            &DevTokens::new(&s.settings),
            &plan,
            &Quiet,
        )
        .await
        .expect("the city builds");
        assert!(city.surprises.is_empty(), "{:#?}", city.surprises);

        // The same seed draws the same city; another seed another one.
        let drawn = probity_city::ground_truth(&plan).unwrap();
        assert_eq!(city.truth.without_server_answers(), drawn);
        let other = probity_city::ground_truth(&small_plan(17)).unwrap();
        assert_ne!(other.facts_digest, drawn.facts_digest);
        let shown = |t: &probity_city::GroundTruth| -> Vec<String> {
            t.planted
                .iter()
                .map(|p| p.subject.display_name.clone())
                .collect()
        };
        assert_ne!(shown(&other), shown(&drawn));

        // The registry holds what the plan made: a government, the
        // departments, the towns; every officer; a card for each qualified one.
        let (bodies, officers, cards) = registry_counts(&s).await;
        assert_eq!(bodies, 1 + 8 + 2);
        assert_eq!(bodies, city.counts.bodies);
        assert_eq!(officers, city.counts.officers);
        assert!((77..=104).contains(&officers), "{officers} for 90");
        assert_eq!(cards, city.counts.credentials);
        assert_eq!(cards, city.counts.officers - city.counts.auxiliaries);

        // Intake holds every fact, by kind, and about the number asked for.
        let mut c = intake(&s, Role::LegalOffice, None).await;
        let all = c
            .count_facts(CountFactsRequest {
                filter: Some(FactFilter {
                    include_voided: true,
                    ..Default::default()
                }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(all.total as u64, city.counts.facts);
        let by_kind: BTreeMap<String, u64> = all
            .by_kind
            .iter()
            .map(|k| {
                (
                    probity_proto::intake::v1::FactKind::try_from(k.kind)
                        .unwrap()
                        .as_str_name()
                        .to_string(),
                    k.count as u64,
                )
            })
            .collect();
        assert_eq!(by_kind, city.counts.by_kind);
        assert_eq!(by_kind.len(), 11, "every kind of fact: {by_kind:?}");
        let asked = plan.facts as f64;
        assert!(
            (all.total as f64 - asked).abs() < 0.06 * asked,
            "{} facts for {asked}",
            all.total
        );
        let live = c
            .count_facts(CountFactsRequest {
                filter: Some(FactFilter::default()),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(live.total as u64, city.counts.facts - city.counts.voided);
        assert!(city.counts.voided > 0);

        // Intake found what was planted, on the subjects the truth names, and
        // nothing anywhere else.
        let found = findings(&s).await;
        let mut expected = BTreeSet::new();
        for p in &city.truth.planted {
            if p.findings.is_empty() {
                continue;
            }
            assert!(!p.facts.is_empty(), "{:?} planted no facts", p.pattern);
            let named = p.officer.as_ref().unwrap_or(&p.subject);
            for source in &p.facts {
                for (i, rule) in p.findings.iter().enumerate() {
                    let key = (p.subject.body.clone(), source.clone(), rule.clone());
                    let (officer, state) = found
                        .get(&key)
                        .unwrap_or_else(|| panic!("{:?}: no {rule} on {source}", p.pattern));
                    if i == 0 && p.names_officer {
                        assert_eq!(officer, &named.name, "{:?} {source}", p.pattern);
                    }
                    let want = if p.voided {
                        FindingState::SupersededPending
                    } else {
                        FindingState::Open
                    };
                    assert_eq!(*state, want as i32, "{:?} {source}", p.pattern);
                    expected.insert(key);
                }
            }
        }
        let stray: Vec<_> = found.keys().filter(|k| !expected.contains(*k)).collect();
        assert!(stray.is_empty(), "findings nobody planted: {stray:#?}");
        let patterns: BTreeSet<Pattern> = city.truth.planted.iter().map(|p| p.pattern).collect();
        assert_eq!(patterns.len(), 11);
        let overturned = city
            .truth
            .planted
            .iter()
            .find(|p| p.pattern == Pattern::OverturnedDecisions)
            .unwrap();
        assert!(overturned.facts.len() >= 6, "{overturned:?}");

        // The department's card dated back over its officer's findings was
        // refused.
        assert_eq!(city.truth.backdate.refused, Some(true));
        assert_eq!(
            city.truth.backdate.reason.as_deref(),
            Some("BACKDATE_OUTSIDE_WINDOW")
        );

        ranked_as_planted(&s, &city).await;
        s.stop().await;
    }
);

type Table = BTreeMap<String, HashMap<String, String>>;

/// A table of the rankings job as rows keyed by its `key` column.
fn table(path: &Path, key: &str) -> Table {
    crate::rankings::csv(path)
        .into_iter()
        .map(|r| (r[key].clone(), r))
        .collect()
}

/// The year's rankings (the default plan) show every planted flag and
/// indicator on its subject, and flag nobody else: the ground truth is what
/// the whole-loop test will hold the system to.
async fn ranked_as_planted(s: &TestServer, city: &probity_city::City) {
    let out = tempfile::tempdir().unwrap();
    probity_rankings::run(
        &crate::rankings::job_settings(s),
        probity_rankings::RunOptions {
            year: city.plan.year,
            out: Some(out.path().to_path_buf()),
            quiet: true,
            ..Default::default()
        },
    )
    .await
    .expect("rankings run");
    let officers = table(&out.path().join("officers.csv"), "officer");
    let departments = table(&out.path().join("departments.csv"), "body");
    // Towns are ranked among themselves (Art. 4); nothing is planted on them.
    let towns = table(&out.path().join("towns.csv"), "body");
    assert_eq!(towns.len(), city.plan.towns, "every town ranked");
    for p in &city.truth.planted {
        let officer = p.subject.kind == SubjectKind::Officer;
        if let Some(flag) = p.flag {
            let t = if officer { &officers } else { &departments };
            let row = &t[&p.subject.name];
            let column = match flag {
                Flag::Outstanding => "outstanding",
                Flag::BelowThreshold => "below_threshold",
                Flag::Failing => "failing",
            };
            assert_eq!(row[column], "true", "{:?}: {row:?}", p.pattern);
        }
        if let Some(shows) = &p.shows {
            let (t, key) = if shows.table == "officers" {
                (&officers, &p.subject.name)
            } else {
                (&departments, &p.subject.body)
            };
            let row = &t[key];
            let value: f64 = row[&shows.column].parse().unwrap();
            let peers: Vec<f64> = t
                .iter()
                .filter(|(k, r)| *k != key && r["peer_group"] == row["peer_group"])
                .filter_map(|(_, r)| r[&shows.column].parse().ok())
                .collect();
            let shown = match shows.worst {
                Worst::Highest => peers.iter().all(|x| *x < value),
                Worst::Lowest => peers.iter().all(|x| *x > value),
                Worst::NonZero => value > 0.0,
            };
            assert!(
                shown,
                "{:?}: {} = {value}, peers {peers:?}",
                p.pattern, shows.column
            );
        }
    }
    let planted = city.truth.planted_subjects();
    let flagged: Vec<&String> = officers
        .iter()
        .filter(|(n, r)| {
            !planted.contains(n) && (r["below_threshold"] == "true" || r["failing"] == "true")
        })
        .map(|(n, _)| n)
        .chain(
            departments
                .iter()
                .chain(&towns)
                .filter(|(n, r)| !planted.contains(n) && r["failing"] == "true")
                .map(|(n, _)| n),
        )
        .collect();
    assert!(flagged.is_empty(), "normal subjects flagged: {flagged:?}");
    // Departments alike but for size score alike; the small one's rates
    // are shrunk a little more toward the group's (rate_prior).
    let score = |b: &str| -> f64 { departments[b]["score"].parse().unwrap() };
    let (small, large) = (
        score(&city.truth.size_twins.small.name),
        score(&city.truth.size_twins.large.name),
    );
    assert!((small - large).abs() < 5.0, "twins {small} and {large}");
}

/// The same checks for ten more seeds (about a minute): run it when the
/// generator or the default plan changes, since a planted flag's margin
/// is a few points at this scale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "calibration sweep (~1 min): run by hand when the generator or the default plan changes; whole_loop and a_city_is_built_and_ranked_as_planted cover seed 16 in every run"]
async fn cities_of_many_seeds_rank_as_planted() {
    for seed in 1..=10 {
        let s = TestServer::start(crate::harness::Backend::Sqlite).await;
        let city = probity_city::build(
            &Endpoints::all(&s.url()),
            &DevTokens::new(&s.settings),
            &small_plan(seed),
            &Quiet,
        )
        .await
        .expect("the city builds");
        assert!(
            city.surprises.is_empty(),
            "seed {seed}: {:#?}",
            city.surprises
        );
        ranked_as_planted(&s, &city).await;
        s.stop().await;
    }
}

/// The demo's city, at the default scale (300,000 facts; minutes in a
/// debug build).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "300,000 facts, minutes in a debug build: the demo runs this city in release (docs/benchmarks.md) and checks the same ground truth"]
async fn the_default_city_ranks_as_planted() {
    let s = TestServer::start(crate::harness::Backend::Sqlite).await;
    let city = probity_city::build(
        &Endpoints::all(&s.url()),
        &DevTokens::new(&s.settings),
        &CityPlan::default(),
        &Quiet,
    )
    .await
    .expect("the city builds");
    assert!(city.surprises.is_empty(), "{:#?}", city.surprises);
    let asked = CityPlan::default().facts as f64;
    assert!((city.counts.facts as f64 - asked).abs() < 0.05 * asked);
    ranked_as_planted(&s, &city).await;
    s.stop().await;
}
