//! The catalogue of error reasons: every refusal a client can meet, with the
//! stable code its ErrorInfo carries, the gRPC code it is sent with and what
//! it means. A refusal is built from a [`Reason`], so its code and gRPC code
//! cannot disagree; docs/errors.md is generated from this table.
use tonic::Code;

/// One line per reason: `Variant = "CODE", GrpcCode, "raised by", "meaning";`.
/// The code is the API (clients and tests compare it): never change one.
macro_rules! reasons {
    ($($variant:ident = $code:literal, $grpc:ident, $by:literal, $meaning:literal;)*) => {
        /// Why a request was refused (ErrorInfo.reason).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Reason {
            $(#[doc = $meaning] $variant,)*
        }

        impl Reason {
            /// Every reason, in the catalogue's order.
            pub const ALL: &[Reason] = &[$(Reason::$variant),*];

            /// The stable code clients read in ErrorInfo.reason.
            pub const fn code(self) -> &'static str {
                match self { $(Reason::$variant => $code,)* }
            }

            /// The gRPC status code the reason is always sent with.
            pub const fn grpc(self) -> Code {
                match self { $(Reason::$variant => Code::$grpc,)* }
            }

            /// Which service (or command) raises it.
            pub const fn raised_by(self) -> &'static str {
                match self { $(Reason::$variant => $by,)* }
            }

            /// What it means to the client, and what to do.
            pub const fn meaning(self) -> &'static str {
                match self { $(Reason::$variant => $meaning,)* }
            }
        }
    };
}

reasons! {
    // every service: the shared plumbing
    NotFound = "NOT_FOUND", NotFound, "every service", "The named resource does not exist, or the caller's department cannot see it.";
    AlreadyExists = "ALREADY_EXISTS", AlreadyExists, "every service", "Another record already holds a key this request would take (the database refused a duplicate): read what is there before sending again.";
    RoleNotAllowed = "ROLE_NOT_ALLOWED", PermissionDenied, "every service", "The token's role may not call this method: each method's access class is in its service's policy table.";
    ServiceNotAllowed = "SERVICE_NOT_ALLOWED", PermissionDenied, "every service", "A service token may call only what its identity (its `sub`) calls: docs/deploy.md has the table; a `service` token of any other subject calls nothing.";
    RequestIdReused = "REQUEST_ID_REUSED", FailedPrecondition, "every service", "This caller already used the request_id for a different request: a new request needs a new request_id.";
    KeyMismatch = "KEY_MISMATCH", FailedPrecondition, "every service (start-up)", "A key file is not the key this database was used with: the service refuses to start (docs/deploy.md).";
    CheckpointOfAnotherChain = "CHECKPOINT_OF_ANOTHER_CHAIN", FailedPrecondition, "probity audit verify", "The checkpoint given was taken of another service's audit chain.";
    CheckpointForged = "CHECKPOINT_FORGED", FailedPrecondition, "probity audit verify", "The checkpoint does not hold under the audit key (edited by hand, or made up): nothing is verified against it.";
    RateLimited = "RATE_LIMITED", ResourceExhausted, "every service (public methods)", "Too many calls to public methods from one address (server.public_rate_limit): wait the RetryInfo delay, then send again.";

    // registry
    TokenRequired = "TOKEN_REQUIRED", PermissionDenied, "registry", "Only public methods answer without a token.";
    OutsideBodyScope = "OUTSIDE_BODY_SCOPE", PermissionDenied, "registry", "A department's token reaches only its own body and the bodies below it.";
    NoChange = "NO_CHANGE", FailedPrecondition, "registry", "The change asks for what is already recorded: nothing was changed.";
    HistoryOutOfOrder = "HISTORY_OUT_OF_ORDER", FailedPrecondition, "registry", "The effective time is before the entity's last recorded change: history is appended in order.";
    BackdateOutsideWindow = "BACKDATE_OUTSIDE_WINDOW", FailedPrecondition, "registry", "The change is dated further back than registry.backdate_grace allows a department: only the legal-affairs office records it, with a reason.";
    LegalBasisChangeRequired = "LEGAL_BASIS_CHANGE_REQUIRED", FailedPrecondition, "registry", "A power is added to or withdrawn from the list only when its legal basis changes (Art. 7): state the change.";
    PowerCodeTaken = "POWER_CODE_TAKEN", AlreadyExists, "registry", "The body already lists a power with this code.";
    PowerWithdrawn = "POWER_WITHDRAWN", FailedPrecondition, "registry", "The power was withdrawn from the list: it takes no new version, criteria or post.";
    OfficerExists = "OFFICER_EXISTS", AlreadyExists, "registry", "An officer with this national ID number is already registered.";
    OfficerDisqualified = "OFFICER_DISQUALIFIED", FailedPrecondition, "registry", "The officer's enforcement qualification was cancelled: the status is final and no credential is issued.";
    SanctionStatus = "SANCTION_STATUS", PermissionDenied, "registry", "The officer's status was imposed as a sanction: only the legal-affairs office lifts it (a department, or a service, does not).";
    SameBody = "SAME_BODY", FailedPrecondition, "registry", "A transfer names the body the officer already serves in.";
    AuxiliaryCannotHoldCredential = "AUXILIARY_CANNOT_HOLD_CREDENTIAL", FailedPrecondition, "registry", "Auxiliary staff have no enforcement qualification and never hold a credential (Art. 18).";
    CredentialNumberTaken = "CREDENTIAL_NUMBER_TAKEN", AlreadyExists, "registry", "A credential with this number was already issued.";
    CredentialOverlaps = "CREDENTIAL_OVERLAPS", FailedPrecondition, "registry", "The officer holds a credential covering part of the new one's window: revoke it, or start after it ends.";
    HolderCredentialWithheld = "HOLDER_CREDENTIAL_WITHHELD", FailedPrecondition, "registry", "The officer's credential is withheld (Art. 21): a new credential may start no earlier than the withholding ends.";
    CredentialRevoked = "CREDENTIAL_REVOKED", FailedPrecondition, "registry", "The credential was revoked: it takes no further step.";
    CredentialExpired = "CREDENTIAL_EXPIRED", FailedPrecondition, "registry", "The credential has expired: it may still be withheld or revoked, nothing else.";
    CredentialWithheld = "CREDENTIAL_WITHHELD", FailedPrecondition, "registry", "The credential is withheld: the step waits until it is released.";
    CredentialNotYetValid = "CREDENTIAL_NOT_YET_VALID", FailedPrecondition, "registry", "The credential's validity has not begun: it may be withheld or revoked, nothing else.";
    CredentialNotWithheld = "CREDENTIAL_NOT_WITHHELD", FailedPrecondition, "registry", "The credential is not withheld: there is nothing to release.";
    WithholdingShortened = "WITHHOLDING_SHORTENED", PermissionDenied, "registry", "The credential is withheld until later: only the legal-affairs office shortens or lifts a withholding.";

    // intake
    OutsideDepartment = "OUTSIDE_DEPARTMENT", PermissionDenied, "intake", "A department acts only for its own body and the bodies below it.";
    WrongReporter = "WRONG_REPORTER", FailedPrecondition, "intake", "The caller may not report, correct or void this fact: the message names who may (docs/reporters.md).";
    WrongfulOutcomeStands = "WRONGFUL_OUTCOME_STANDS", FailedPrecondition, "intake", "A revoked or lost outcome is a wrongful case (Art. 9(3)): only the legal-affairs office corrects or voids it.";
    FindingClearanceOfficeOnly = "FINDING_CLEARANCE_OFFICE_ONLY", PermissionDenied, "intake", "Only the legal-affairs office rules on a finding; a department corrects its facts, and the findings stand until the office rules.";
    FindingAlreadyCleared = "FINDING_ALREADY_CLEARED", FailedPrecondition, "intake", "The finding was cleared: the ruling stands.";
    FactConflict = "FACT_CONFLICT", AlreadyExists, "intake", "The source id was recorded with a different payload: send a correction (correction_reason) to change it.";
    NothingToCorrect = "NOTHING_TO_CORRECT", FailedPrecondition, "intake", "The correction names a source id the body never recorded: submit it as a new fact.";
    KindChanged = "KIND_CHANGED", FailedPrecondition, "intake", "A correction cannot change the kind of fact: void it and submit a new one.";
    FindingsHoldTheYear = "FINDINGS_HOLD_THE_YEAR", FailedPrecondition, "intake", "The fact has findings in force: it cannot move to another year until the legal-affairs office rules on them.";
    RevisionChanged = "REVISION_CHANGED", FailedPrecondition, "intake", "The fact changed while the correction or void was checked: send it again.";
    ReferenceChanged = "REFERENCE_CHANGED", FailedPrecondition, "intake", "The fact referred to changed while this one was checked: send it again.";
    TooManyStreams = "TOO_MANY_STREAMS", ResourceExhausted, "intake", "The caller already has intake.max_streams_per_caller SubmitFacts streams open: finish one (or wait for it to end) before opening another.";
    StreamStalled = "STREAM_STALLED", ResourceExhausted, "intake", "The client did not read its acknowledgements for intake.stream_ack_timeout_ms: the stream was ended; resend from the last acknowledgement read (resent records are recognized by their source ids).";
    FactHasDependants = "FACT_HAS_DEPENDANTS", FailedPrecondition, "intake", "Live facts refer to this one: void them, or correct them to refer elsewhere, first.";

    // accountability
    IllegalTransition = "ILLEGAL_TRANSITION", FailedPrecondition, "accountability", "The case is not in a state the action needs: the message names the current state and the ones allowed.";
    AlreadyContested = "ALREADY_CONTESTED", FailedPrecondition, "accountability", "A decision may be contested once; this case's was.";
    DecisionLapsed = "DECISION_LAPSED", FailedPrecondition, "accountability", "A date in the decision (withheld until, rectify by) has passed: the office decides anew with new dates.";
    DecisionRequired = "DECISION_REQUIRED", FailedPrecondition, "accountability", "The case is decided: deciding anew needs the new decision in the request.";
    NoProposal = "NO_PROPOSAL", FailedPrecondition, "accountability", "There is no proposal to adopt: send the decision itself.";
    SanctionNotAllowed = "SANCTION_NOT_ALLOWED", FailedPrecondition, "accountability", "The Art. 21 table does not allow this sanction for the breach: the message names the article and what it allows.";
    TooMuchEvidence = "TOO_MUCH_EVIDENCE", FailedPrecondition, "accountability", "A case holds at most 1000 items of evidence.";
    EffectsPending = "EFFECTS_PENDING", FailedPrecondition, "accountability", "The case's effects still wait for the registry: it closes once none is pending.";
    FindingCleared = "FINDING_CLEARED", FailedPrecondition, "accountability", "The legal-affairs office cleared the finding: it raises no case.";
    OrderAnswered = "ORDER_ANSWERED", FailedPrecondition, "accountability", "The correction order was already answered.";
    DecisionRight = "DECISION_RIGHT", PermissionDenied, "accountability", "The regulation gives this step on this case to someone else (Art. 12, 19, 20): the message names who may (docs/accountability.md, decision rights).";
    AwardEligibilityLost = "AWARD_ELIGIBILITY_LOST", FailedPrecondition, "accountability", "A sanction took away the subject's eligibility for the year's awards (Art. 19, 20): no commendation is recorded.";
    NoticeFontMissing = "NOTICE_FONT_MISSING", FailedPrecondition, "accountability", "No CJK font is installed for printing notices as PDF: set accountability.notices.font (the HTML is available).";

    // rankings
    YearNotOver = "YEAR_NOT_OVER", FailedPrecondition, "rankings", "A run is finalized only once its year is over in the city (UTC+8): until then the year's runs are provisional.";
    YearSealed = "YEAR_SEALED", FailedPrecondition, "rankings", "A finalized run sealed the year: no other run of that year is recorded.";
    NotVerticallyManaged = "NOT_VERTICALLY_MANAGED", FailedPrecondition, "rankings", "A superior's assessment is kept only for a body the registry marks vertically managed (Art. 4); the office corrects the registry first if the mark is wrong.";
    SuperiorAssessmentConflict = "SUPERIOR_ASSESSMENT_CONFLICT", AlreadyExists, "rankings", "The body's year already has a superior's assessment that reads otherwise: send it with a correction_reason to record a new revision (the earlier one stays).";
    ReportNotAsDeclared = "REPORT_NOT_AS_DECLARED", FailedPrecondition, "rankings", "A run's report is stored only as the run declared it when it was recorded (its SHA-256 and size): other bytes under its name are refused, before and after the first upload.";

    // draws
    OwnUnitOnly = "OWN_UNIT_ONLY", PermissionDenied, "draws", "A unit draws, uploads its target list and plans for itself only, and reads only its own lists: not even a body above it acts for it.";
    NoTargetList = "NO_TARGET_LIST", FailedPrecondition, "draws", "The unit has uploaded no target list: upload one before committing to a draw.";
    NoDrawPlan = "NO_DRAW_PLAN", FailedPrecondition, "draws", "The unit has no annual plan for the power and year: set one before committing to a draw.";
    DrawPlanConflict = "DRAW_PLAN_CONFLICT", AlreadyExists, "draws", "The plan already has a revision that reads otherwise: send it with a correction_reason to record the next revision (the earlier ones stay).";
    DrawPlanInUse = "DRAW_PLAN_IN_USE", FailedPrecondition, "draws", "A draw already used this plan: only the legal-affairs office revises it now, so a unit does not loosen its plan after drawing.";
    DrawOpen = "DRAW_OPEN", FailedPrecondition, "draws", "The unit has a draw of this power neither drawn nor abandoned: reveal it (or abandon it before its public value is recorded) first.";
    DrawUnderstaffed = "DRAW_UNDERSTAFFED", FailedPrecondition, "draws", "A target the plan could draw has fewer eligible inspectors (pool less its conflicts and previous pairs) than the plan sends: refused before any seed is known.";
    DrawWrongState = "DRAW_WRONG_STATE", FailedPrecondition, "draws", "The draw is not in the state the step needs (commit, public value, reveal, in that order, once each): a draw is never re-run or edited.";
    RevealMismatch = "REVEAL_MISMATCH", FailedPrecondition, "draws", "The revealed seed does not hash to the draw's commitment: nothing was drawn.";
    PublicValueSameParty = "PUBLIC_VALUE_SAME_PARTY", PermissionDenied, "draws", "Whoever committed to the seed does not record the public value: no single party fixes both.";
    DrawOutcomeKnown = "DRAW_OUTCOME_KNOWN", PermissionDenied, "draws", "The public value is recorded, so the unit knows its draw's outcome: only the legal-affairs office abandons it now.";
}

impl Reason {
    /// The reason a code names, if the catalogue has it.
    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|r| r.code() == code)
    }

    /// docs/errors.md: every reason, by code.
    pub fn markdown() -> String {
        let mut all = Reason::ALL.to_vec();
        all.sort_by_key(|r| r.code());
        let mut s = String::from(DOC_HEAD);
        for r in all {
            s.push_str(&format!(
                "`{}` | `{}` | {} | {}\n",
                r.code(),
                grpc_name(r.grpc()),
                r.raised_by(),
                r.meaning()
            ));
        }
        s
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

const DOC_HEAD: &str = "# Error reasons

Generated from `services/common/src/reasons.rs` (run `cargo test -p probity-common
reasons` with `PROBITY_WRITE_DOCS=1` after changing it).

A refusal carries a `google.rpc.ErrorInfo` with the reason below and the
domain `probity.gov`; the code is stable and the gRPC code always the one
listed. The message beside it says more about the case at hand, in words
meant for people, not programs. Other answers carry no reason:
`INVALID_ARGUMENT` has a `google.rpc.BadRequest` naming every bad field,
`UNAUTHENTICATED` a missing or bad token, `UNAVAILABLE` a database or peer that
cannot answer now (send again), `RESOURCE_EXHAUSTED` without a reason a message
over the size limit, `INTERNAL` a fault of ours (logged, never described). No
answer carries the database's own text.

Reason | gRPC code | Raised by | Meaning
--- | --- | --- | ---
";

/// The name a gRPC code has in the protocol (`FAILED_PRECONDITION`).
fn grpc_name(code: Code) -> &'static str {
    match code {
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        // refusals_only_use_refusal_codes keeps the others out
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_spell_their_variant() {
        let mut seen = HashSet::new();
        for r in Reason::ALL {
            assert!(seen.insert(r.code()), "{} twice", r.code());
            // LegalOfficeOnly <-> LEGAL_OFFICE_ONLY: the two cannot drift.
            let mut screaming = String::new();
            for (i, c) in format!("{r:?}").chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    screaming.push('_');
                }
                screaming.push(c.to_ascii_uppercase());
            }
            assert_eq!(screaming, r.code());
            assert_eq!(Reason::from_code(r.code()), Some(*r));
            assert!(r.meaning().ends_with('.'), "{r}");
        }
        assert_eq!(Reason::from_code("NO_SUCH_REASON"), None);
    }

    #[test]
    fn refusals_only_use_refusal_codes() {
        // Codes a client can act on: never INTERNAL or UNAVAILABLE, which
        // say "not your fault" and carry no reason. RESOURCE_EXHAUSTED says
        // "slow down": which limit, by its reason.
        let refusals = [
            Code::NotFound,
            Code::AlreadyExists,
            Code::PermissionDenied,
            Code::FailedPrecondition,
            Code::ResourceExhausted,
        ];
        for r in Reason::ALL {
            assert!(refusals.contains(&r.grpc()), "{r}: {:?}", r.grpc());
        }
    }

    #[test]
    fn docs_errors_md_is_generated_from_the_catalogue() {
        let doc = format!("{}/../../docs/errors.md", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("PROBITY_WRITE_DOCS").is_some() {
            std::fs::write(&doc, Reason::markdown()).expect("write docs/errors.md");
        }
        assert_eq!(
            std::fs::read_to_string(&doc).unwrap_or_default(),
            Reason::markdown(),
            "docs/errors.md is generated: run this test with PROBITY_WRITE_DOCS=1"
        );
    }
}
