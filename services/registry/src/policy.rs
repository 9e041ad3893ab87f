//! Who may call what: every method of the registry, in one place. Methods
//! marked Public need no token (Art. 5, 7, 16: what the public must be able
//! to check).
use probity_common::auth::Access::{self, *};

macro_rules! policy {
    ($($svc:literal $method:literal => $access:expr,)*) => {
        pub const POLICY: &[(&str, Access)] = &[$((concat!("/", $svc, "/", $method), $access),)*];
    };
}

policy! {
    "probity.registry.v1.RegistryService" "CreateBody" => Admin,
    "probity.registry.v1.RegistryService" "GetBody" => Read,
    "probity.registry.v1.RegistryService" "ListBodies" => Read,
    "probity.registry.v1.RegistryService" "UpdateBody" => Admin,
    "probity.registry.v1.RegistryService" "ListBodyRevisions" => Read,
    "probity.registry.v1.RegistryService" "CreateUnit" => Write,
    "probity.registry.v1.RegistryService" "ListUnits" => Read,
    "probity.registry.v1.RegistryService" "CreatePost" => Write,
    "probity.registry.v1.RegistryService" "GetPost" => Read,
    "probity.registry.v1.RegistryService" "ListPosts" => Read,
    "probity.registry.v1.RegistryService" "UpdatePost" => Write,
    "probity.registry.v1.RegistryService" "ListPostRevisions" => Read,
    "probity.registry.v1.RegistryService" "SetPostPowers" => Write,
    "probity.registry.v1.RegistryService" "CreatePower" => Write,
    "probity.registry.v1.RegistryService" "RevisePower" => Write,
    "probity.registry.v1.RegistryService" "WithdrawPower" => Write,
    "probity.registry.v1.RegistryService" "GetPower" => Read,
    "probity.registry.v1.RegistryService" "ListPowers" => Read,
    "probity.registry.v1.RegistryService" "ListPowerVersions" => Read,
    "probity.registry.v1.RegistryService" "ListUnassignedPowers" => Read,
    // the catalogue of major decisions is the office's, never the assessed department's
    "probity.registry.v1.RegistryService" "SetMajorDecisionCriteria" => Admin,
    "probity.registry.v1.RegistryService" "ListMajorDecisionCriteria" => Read,
    "probity.registry.v1.RegistryService" "CreateOfficer" => Write,
    "probity.registry.v1.RegistryService" "GetOfficer" => Read,
    "probity.registry.v1.RegistryService" "ListOfficers" => Read,
    "probity.registry.v1.RegistryService" "FindOfficerByNationalId" => Read,
    "probity.registry.v1.RegistryService" "SetOfficerPosts" => Write,
    "probity.registry.v1.RegistryService" "SetOfficerStatus" => Effect,
    "probity.registry.v1.RegistryService" "TransferOfficer" => Effect,
    "probity.registry.v1.RegistryService" "GetOfficerHistory" => Read,
    "probity.registry.v1.RegistryService" "IssueCredential" => Write,
    "probity.registry.v1.RegistryService" "GetCredential" => Read,
    "probity.registry.v1.RegistryService" "ListCredentials" => Read,
    "probity.registry.v1.RegistryService" "WithholdCredential" => Effect,
    "probity.registry.v1.RegistryService" "ReleaseCredential" => Lift,
    "probity.registry.v1.RegistryService" "RevokeCredential" => Effect,
    "probity.registry.v1.RegistryService" "CheckActors" => Read,
    "probity.registry.v1.RegistryService" "BatchCheckActors" => Read,
    // A department sees its own subtree's late changes only (scope).
    "probity.registry.v1.RegistryService" "ListLateChanges" => Read,
    "probity.registry.v1.PublicRegistryService" "VerifyCredential" => Public,
    "probity.registry.v1.PublicRegistryService" "ListPublishedPowers" => Public,
    "probity.registry.v1.PublicRegistryService" "ListPublishedPosts" => Public,
}
