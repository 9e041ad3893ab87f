//! Who may call what: every method of the registry, in one place. Methods
//! marked Public need no token (Art. 5, 7, 16: what the public must be able
//! to check).
use probity_common::auth::Access::*;

probity_common::policy! {
    "probity.registry.v1.RegistryService" {
        "CreateBody" => Admin,
        "GetBody" => Read,
        "ListBodies" => Read,
        "UpdateBody" => Admin,
        "ListBodyRevisions" => Read,
        "CreateUnit" => Write,
        "ListUnits" => Read,
        "CreatePost" => Write,
        "GetPost" => Read,
        "ListPosts" => Read,
        "UpdatePost" => Write,
        "ListPostRevisions" => Read,
        "SetPostPowers" => Write,
        "CreatePower" => Write,
        "RevisePower" => Write,
        "WithdrawPower" => Write,
        "GetPower" => Read,
        "ListPowers" => Read,
        "ListPowerVersions" => Read,
        "ListUnassignedPowers" => Read,
        // the catalogue of major decisions is the office's, never the assessed department's
        "SetMajorDecisionCriteria" => Admin,
        "ListMajorDecisionCriteria" => Read,
        "CreateOfficer" => Write,
        "GetOfficer" => Read,
        "ListOfficers" => Read,
        "FindOfficerByNationalId" => Read,
        "SetOfficerPosts" => Write,
        "SetOfficerStatus" => Effect,
        "TransferOfficer" => Effect,
        "GetOfficerHistory" => Read,
        "IssueCredential" => Write,
        "GetCredential" => Read,
        "ListCredentials" => Read,
        "WithholdCredential" => Effect,
        "ReleaseCredential" => Lift,
        "RevokeCredential" => Effect,
        "CheckActors" => Read,
        "BatchCheckActors" => Read,
        // A department sees its own subtree's late changes only (scope).
        "ListLateChanges" => Read,
    }
    "probity.registry.v1.PublicRegistryService" {
        "VerifyCredential" => Public,
        "ListPublishedPowers" => Public,
        "ListPublishedPosts" => Public,
    }
}
