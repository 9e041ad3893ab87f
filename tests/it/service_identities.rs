//! Issue 19, hole 1: one `service` token must not undo the system. Each
//! calling service has its own identity and reaches exactly the methods its
//! code calls; a token of any other subject reaches nothing; and the job's
//! RecordRun cannot seal a year before it is over.
use probity_common::{
    auth::{Access, Role},
    server::AUDIT_POLICY,
    service::Service,
    service_identity::{self, ServiceIdentity},
};
use probity_proto::rankings::v1::{
    RecordRunRequest, Run, rankings_service_client::RankingsServiceClient, record_run_request::Part,
};
use tonic::{
    Code, Request, Status, codegen::http::uri::PathAndQuery,
    service::interceptor::InterceptedService,
};

use crate::{
    db_test,
    fixtures::reason,
    harness::{Bearer, TestServer},
    server::{Empty, Raw},
    util::*,
};

/// Every method every service serves, by its full path, and whether it is
/// public (open to anyone, a service too).
fn every_method() -> Vec<(&'static str, bool)> {
    let mut all: Vec<(&'static str, bool)> = [
        probity_registry::Registry::POLICY,
        probity_intake::Intake::POLICY,
        probity_accountability::Accountability::POLICY,
        probity_rankings_service::Rankings::POLICY,
        probity_draws::Draws::POLICY,
        AUDIT_POLICY,
    ]
    .into_iter()
    .flatten()
    .map(|(path, access)| (*path, *access == Access::Public))
    .collect();
    all.sort();
    all.dedup();
    all
}

/// Calls `path` with an empty message (valid for any request type) as
/// `token`: what the auth layer or the handler answers.
async fn call(s: &TestServer, token: &str, path: &'static str) -> Result<(), Status> {
    let ch = InterceptedService::new(s.channel().await, Bearer::new(token));
    let mut g = tonic::client::Grpc::new(ch);
    g.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    g.unary(
        Request::new(Empty {}),
        PathAndQuery::from_static(path),
        Raw::<Empty, Empty>::default(),
    )
    .await
    .map(|_| ())
}

/// Whether the auth layer let the call through (whatever the handler then
/// said of an empty request).
fn admitted(r: &Result<(), Status>) -> bool {
    match r {
        Ok(()) => true,
        Err(e) => {
            e.code() != Code::Unauthenticated
                && !matches!(
                    reason(e).as_str(),
                    "SERVICE_NOT_ALLOWED" | "ROLE_NOT_ALLOWED"
                )
        }
    }
}

db_test!(every_identity_calls_exactly_its_table, |b| async move {
    let s = TestServer::start(b).await;
    let methods = every_method();
    assert!(methods.len() > 80, "{}", methods.len());
    // A stranger's subjects: the old catch-all, a service that calls no
    // one, an identity's name with a suffix.
    let strangers = [
        "service",
        "service:registry",
        "service:intake-x",
        "probity-intake",
    ];
    let mut identities: Vec<(&str, Option<&ServiceIdentity>)> = service_identity::ALL
        .iter()
        .map(|i| (i.subject, Some(i)))
        .collect();
    identities.extend(strangers.iter().map(|s| (*s, None)));
    let mut wrong = Vec::new();
    for (subject, identity) in identities {
        let token = probity_common::auth::issue_token(
            &s.settings,
            subject,
            Role::Service,
            None,
            chrono::Duration::hours(1),
        )
        .unwrap();
        for (path, public) in &methods {
            let must = *public || identity.is_some_and(|i| i.calls.contains(path));
            let r = call(&s, &token, path).await;
            let ok = admitted(&r);
            if ok != must {
                wrong.push(format!("{subject} {path}: must {must}, got {r:?}"));
            }
            // refused by the method's class (no service may) or by the
            // identity's table (services may, this one may not)
            if !must
                && !matches!(
                    reason(r.as_ref().unwrap_err()).as_str(),
                    "SERVICE_NOT_ALLOWED" | "ROLE_NOT_ALLOWED"
                )
            {
                wrong.push(format!(
                    "{subject} {path}: refused for another reason {r:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    s.stop().await;
});

db_test!(
    no_service_but_accountability_sets_an_officer_status,
    |b| async move {
        // The attack of issue 19: intake's (or the job's) token restores a
        // sanctioned officer. Refused before the handler reads the request.
        let s = TestServer::start(b).await;
        let w = crate::fixtures::world(&s).await;
        for id in [
            service_identity::INTAKE,
            service_identity::RANKINGS,
            service_identity::RANKINGS_JOB,
        ] {
            let mut c = s.registry(&s.service_token(&id)).await;
            expect_err(
                c.set_officer_status(probity_proto::registry::v1::SetOfficerStatusRequest {
                    request_id: crate::fixtures::rid(),
                    officer: w.a.name.clone(),
                    status: probity_proto::registry::v1::OfficerStatus::Active as i32,
                    reason: "restored".into(),
                    ..Default::default()
                })
                .await,
                Code::PermissionDenied,
                "SERVICE_NOT_ALLOWED",
            );
        }
        s.stop().await;
    }
);

fn city_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&probity_rules::city::city())
        .date_naive()
}

fn run(name: &str, as_of: chrono::NaiveDate, finalized: bool) -> RecordRunRequest {
    use chrono::Datelike;
    RecordRunRequest {
        part: Some(Part::Run(Run {
            name: name.into(),
            year: as_of.year(),
            as_of: as_of.to_string(),
            finalized,
            plan_version: "test".into(),
            ..Default::default()
        })),
    }
}

db_test!(
    record_run_refuses_a_future_as_of_and_an_unfinished_year,
    |b| async move {
        use chrono::Datelike;
        let s = TestServer::start(b).await;
        let token = s.service_token(&service_identity::RANKINGS_JOB);
        let mut c = RankingsServiceClient::with_interceptor(s.channel().await, Bearer::new(&token));
        let today = city_today();
        // A run as of a day to come (the job's token, or anyone's who has it).
        let tomorrow = today.succ_opt().unwrap();
        let e = expect_code(
            c.record_run(futures::stream::iter([run("runs/ahead", tomorrow, false)]))
                .await,
            Code::InvalidArgument,
        );
        assert!(
            e.message().contains("run.as_of") || format!("{e:?}").contains("run.as_of"),
            "{e:?}"
        );
        // Sealing this year, which is not over, and a year to come.
        expect_err(
            c.record_run(futures::stream::iter([run(
                "runs/sealed-early",
                today,
                true,
            )]))
            .await,
            Code::FailedPrecondition,
            "YEAR_NOT_OVER",
        );
        let next_year = chrono::NaiveDate::from_ymd_opt(today.year() + 1, 12, 31).unwrap();
        expect_code(
            c.record_run(futures::stream::iter([run("runs/next", next_year, true)]))
                .await,
            Code::InvalidArgument,
        );
        // The real job is not locked out: today's provisional run is recorded,
        // and last year's may be sealed.
        c.record_run(futures::stream::iter([run("runs/today", today, false)]))
            .await
            .expect("today's run");
        let last = chrono::NaiveDate::from_ymd_opt(today.year() - 1, 12, 31).unwrap();
        let sealed = c
            .record_run(futures::stream::iter([run("runs/last-year", last, true)]))
            .await
            .expect("last year sealed")
            .into_inner();
        assert!(sealed.finalized);
        s.stop().await;
    }
);
