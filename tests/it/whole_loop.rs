//! The whole loop at a small scale (issue 16): the synthetic city built
//! through the APIs, its findings raised as cases, its year ranked and
//! sealed, one officer's credential withheld and applied, that officer's
//! next act found and raised in turn. Every planted pattern is found by the
//! rule it was planted for, nothing else is flagged, the size twins rank
//! alike, every chain verifies and a second run gives the same tables.
use probity_city::Quiet;
use probity_common::auth::Role;
use probity_proto::audit::v1::VerifyAuditChainRequest;

use crate::{db_test, harness::TestServer};

db_test!(the_whole_loop_closes, |backend| async move {
    let s = TestServer::start(backend).await;
    let out = tempfile::tempdir().unwrap();
    let options = probity::story::StoryOptions {
        plan: crate::city::small_plan(16),
        out: out.path().to_path_buf(),
        quiet: true,
    };
    let story = probity::story::tell(
        &crate::rankings::job_settings(&s),
        &s.url(),
        &options,
        &Quiet,
    )
    .await
    .expect("the story is told");
    let summary = probity::story::print(&story);

    // Every planted pattern found by its rule, shown in the rankings and
    // in a case; nothing planted as normal flagged.
    let missed: Vec<_> = story.checks.iter().filter(|c| c.missed()).collect();
    assert!(missed.is_empty(), "missed: {missed:#?}\n{summary}");
    assert!(story.checks.len() >= 10, "{summary}");
    assert_eq!(story.false_flags, Vec::<String>::new(), "{summary}");
    assert_eq!(story.city.truth.backdate.refused, Some(true), "{summary}");

    // This year's routine inspections through the units' draws: every unit
    // that kept to its draw has its inspections verified, each planted
    // departure is found, and a published record verifies offline through
    // the real binary.
    let d = &story.draws;
    assert!(d.draws.units.len() >= 5, "{summary}");
    let missed: Vec<_> = d.checks.iter().filter(|c| c.missed()).collect();
    assert!(missed.is_empty(), "missed: {missed:#?}\n{summary}");
    assert_eq!(d.checks.len(), 3, "{summary}");
    assert_eq!(d.strays, Vec::<String>::new(), "{summary}");
    for u in d.draws.units.iter().filter(|u| u.departure.is_none()) {
        assert!(u.inspections > 0, "{u:?}");
        assert_eq!(u.verified, u.inspections, "{u:?}");
    }
    assert!(d.records_differing.is_empty(), "{summary}");
    let sample = d.sample().expect("a unit that kept to its draw");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sample).unwrap()).unwrap();
    let (status, out) = crate::draws::verify_cli(&record).await;
    assert_eq!(status, 0, "{out}");
    assert!(out.starts_with("matches:"), "{out}");

    // The loop closes: withheld in the registry, the next act a finding
    // on that officer, and that finding its own case.
    let l = &story.closed;
    assert!(
        l.next_act
            .findings
            .iter()
            .any(|f| f.officer == l.officer && f.rule.starts_with("CREDENTIAL")),
        "{:#?}",
        l.next_act
    );
    let raised = l
        .raised
        .as_ref()
        .expect("the next act's finding raised a case");
    assert_ne!(raised.name, l.decided.name);
    // Each step by whom the regulation gives it (Art. 12, 20): the unit's
    // legal section proposed, the officer's unit decided.
    let unit = l.decided.subject.as_ref().unwrap().body.clone();
    let unit = unit.trim_start_matches("bodies/");
    let proposed_by = &l.decided.proposal.as_ref().unwrap().decided_by;
    assert_eq!(proposed_by, &format!("legal-section@{unit}"));
    let decided_by = &l.decided.decision.as_ref().unwrap().decided_by;
    assert_eq!(decided_by, &format!("city-builder@{unit}"));
    assert_eq!(raised.subject.as_ref().unwrap().name, l.officer);
    // The registry holds the officer's card as withheld.
    let withheld = &l.decided.effects[0].credentials;
    assert!(!withheld.is_empty(), "{:?}", l.decided.effects);
    let cred = s
        .legal()
        .await
        .get_credential(probity_proto::registry::v1::GetCredentialRequest {
            name: withheld[0].clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        cred.status,
        probity_proto::registry::v1::CredentialStatus::Withheld as i32
    );
    assert_eq!(cred.holder, l.officer);

    // Departments alike but for their size rank within noise.
    let score = |name: &str| {
        story
            .tables
            .departments
            .iter()
            .find(|d| d.subject == name)
            .map(|d| d.score)
            .unwrap_or_else(|| panic!("{name} not ranked"))
    };
    let twins = &story.city.truth.size_twins;
    let (small, large) = (score(&twins.small.name), score(&twins.large.name));
    assert!((small - large).abs() < 5.0, "twins {small} and {large}");

    // Every service's chain verifies.
    let token = s.token(Role::Auditor, None);
    for service in ["registry", "intake", "accountability", "rankings", "draws"] {
        let v = s
            .audit(&token)
            .await
            .verify_audit_chain(VerifyAuditChainRequest {
                service: service.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(v.ok, "{service}: {v:?}");
        assert!(v.entries_checked > 0, "{service}: {v:?}");
    }

    // A second run of the sealed year gives byte-identical tables.
    let again = tempfile::tempdir().unwrap();
    let m = probity_rankings::run(
        &crate::rankings::job_settings(&s),
        probity_rankings::RunOptions {
            year: story.city.plan.year,
            out: Some(again.path().to_path_buf()),
            finalize: true,
            quiet: true,
            ..Default::default()
        },
    )
    .await
    .expect("the second run");
    // The same inputs (the year's facts and cases; later years' do not
    // count) are the same run: recorded once, the year sealed by it.
    assert_eq!(m.run_id, story.manifest.run_id);
    assert!(m.finalized);
    for table in [
        "officers.parquet",
        "departments.parquet",
        "officers.csv",
        "departments.csv",
    ] {
        let a = std::fs::read(story.run_dir.join(table)).unwrap();
        let b = std::fs::read(again.path().join(table)).unwrap();
        assert!(
            a == b,
            "{table} differs between two runs of the sealed year"
        );
    }
});
