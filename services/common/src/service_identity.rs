//! Which Probity service may call which method of another: one identity per
//! calling service (the `sub` of its `service` token) and exactly the methods
//! its code calls (its peers.rs, the nightly job's clients). A `service`
//! token whose subject is not listed here is refused everything, so one
//! leaked token reaches only what its service needs (issue 19: intake's
//! token must not lift a sanction or seal a year).
//!
//! docs/deploy.md shows this table; tests/it/service_identities.rs calls
//! every method of every service as every identity.

/// A calling service and the methods (full gRPC paths) it may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceIdentity {
    /// The token's `sub`, e.g. `service:intake`.
    pub subject: &'static str,
    /// Who this is, for the docs.
    pub what: &'static str,
    pub calls: &'static [&'static str],
}

macro_rules! paths {
    ($($svc:literal { $($m:literal),* $(,)? })*) => {
        &[$($(concat!("/", $svc, "/", $m),)*)*]
    };
}

/// intake: who an actor is when a fact names one; the draw an inspection
/// cites and the plan's cap on inspections of one target.
pub const INTAKE: ServiceIdentity = ServiceIdentity {
    subject: "service:intake",
    what: "intake checks the actors a fact names and the draws inspections cite",
    calls: paths! {
        "probity.registry.v1.RegistryService" { "BatchCheckActors" }
        "probity.draws.v1.DrawsService" { "GetDraw", "GetDrawPlan" }
    },
};

/// accountability: who a case's subject is, the facts and findings behind a
/// case, and the sanction effects a decided case has (Art. 20). It lifts
/// nothing: releasing a credential or restoring an officer is the
/// legal-affairs office's.
pub const ACCOUNTABILITY: ServiceIdentity = ServiceIdentity {
    subject: "service:accountability",
    what: "accountability reads case subjects and applies sanction effects",
    calls: paths! {
        "probity.registry.v1.RegistryService" {
            "GetOfficer", "GetBody", "BatchCheckActors", "ListCredentials",
            "SetOfficerStatus", "WithholdCredential", "RevokeCredential",
        }
        "probity.intake.v1.IntakeService" { "ListFactRevisions", "ListFindings" }
    },
};

/// The rankings service: a body's place in the tree for a department's reads.
pub const RANKINGS: ServiceIdentity = ServiceIdentity {
    subject: "service:rankings",
    what: "the rankings service reads a body's ancestry",
    calls: paths! {
        "probity.registry.v1.RegistryService" { "GetBody" }
    },
};

/// The nightly rankings job: reads the year (and the year's draw plans, to
/// hold each unit's drawn share to them), records its run, raises flags and
/// records commendations, and reads back what its report shows.
pub const RANKINGS_JOB: ServiceIdentity = ServiceIdentity {
    subject: "service:rankings-job",
    what: "the nightly rankings job",
    calls: paths! {
        "probity.registry.v1.RegistryService" { "ListBodies", "ListOfficers", "GetOfficerHistory" }
        "probity.intake.v1.IntakeService" { "ExportFactColumns", "BatchLookupFacts" }
        "probity.draws.v1.DrawsService" { "ListDrawPlans" }
        "probity.rankings.v1.RankingsService" {
            "RecordRun", "ListRankings", "ListSuperiorAssessments", "UploadReport",
        }
        "probity.accountability.v1.AccountabilityService" {
            "RaiseFromFlag", "RecordCommendation", "ListCases", "ListNotices", "RenderNotice",
        }
    },
};

/// The draws service: the inspector pool at draw time (who is active, whose
/// credential is valid, whose post holds the inspection power).
pub const DRAWS: ServiceIdentity = ServiceIdentity {
    subject: "service:draws",
    what: "the draws service computes the inspector pool",
    calls: paths! {
        "probity.registry.v1.RegistryService" { "ListOfficers", "BatchCheckActors" }
    },
};

/// Every identity.
pub const ALL: [ServiceIdentity; 5] = [INTAKE, ACCOUNTABILITY, RANKINGS, RANKINGS_JOB, DRAWS];

/// The identity a `service` token's subject names, if any.
pub fn find(subject: &str) -> Option<&'static ServiceIdentity> {
    ALL.iter().find(|i| i.subject == subject)
}

/// Whether the service named `subject` may call `path`.
pub fn may_call(subject: &str, path: &str) -> bool {
    find(subject).is_some_and(|i| i.calls.contains(&path))
}

/// The registry methods that lift a sanction: no service calls them.
pub const LIFTS: [&str; 1] = ["/probity.registry.v1.RegistryService/ReleaseCredential"];

/// The table as docs/deploy.md shows it (Markdown).
pub fn markdown() -> String {
    let mut s = String::from("| identity (`sub`) | who | may call |\n|---|---|---|\n");
    for i in ALL {
        let calls: Vec<String> = i
            .calls
            .iter()
            .map(|p| format!("`{}`", p.trim_start_matches('/')))
            .collect();
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            i.subject,
            i.what,
            calls.join(", ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const REG: &str = "/probity.registry.v1.RegistryService/";

    #[test]
    fn no_service_lifts_a_sanction() {
        for i in ALL {
            for l in LIFTS {
                assert!(!i.calls.contains(&l), "{} may call {l}", i.subject);
            }
        }
        assert!(REG.ends_with('/'));
    }

    #[test]
    fn docs_deploy_md_shows_the_table() {
        let docs = include_str!("../../../docs/deploy.md");
        assert!(
            docs.contains(&markdown()),
            "docs/deploy.md must show service_identity::markdown():\n{}",
            markdown()
        );
    }

    #[test]
    fn subjects_are_distinct_and_unknown_ones_call_nothing() {
        let mut subs: Vec<_> = ALL.iter().map(|i| i.subject).collect();
        subs.sort();
        subs.dedup();
        assert_eq!(subs.len(), ALL.len());
        assert!(!may_call("service", &format!("{REG}GetBody")));
        assert!(may_call("service:rankings", &format!("{REG}GetBody")));
        assert!(!may_call("service:intake", &format!("{REG}GetBody")));
    }
}
