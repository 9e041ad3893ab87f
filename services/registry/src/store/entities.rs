//! The registry's tables. Times are microseconds since the Unix epoch (UTC);
//! enums hold the proto enum's number; lists are JSON text.
//!
//! Current-state tables (`bodies`, `powers`, `officers`, `credentials`) serve
//! listings; the history tables (`power_versions`, `post_powers` intervals,
//! `officer_events`, `credential_events`) are the record, never rewritten, and
//! answer "what was true at instant t" for CheckActors.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod body {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_bodies")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub display_name: String,
        pub kind: i32,
        pub parent_id: Option<String>,
        pub entrusted_by: Option<String>,
        pub region_code: String,
        pub vertically_managed: bool,
        pub created_us: i64,
    }
    no_relations!();
}

pub mod unit {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_units")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub body_id: String,
        pub display_name: String,
        pub created_us: i64,
    }
    no_relations!();
}

pub mod post {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_posts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub body_id: String,
        pub unit_id: Option<String>,
        pub display_name: String,
        pub responsibilities: String,
        pub created_us: i64,
    }
    no_relations!();
}

/// A power held by a post over [from_us, to_us).
pub mod post_power {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_post_powers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub post_id: String,
        pub power_id: String,
        pub body_id: String,
        pub from_us: i64,
        pub to_us: Option<i64>,
        /// When the assignment was recorded (m0003: `from_us` before it).
        pub recorded_us: i64,
        /// When its end (`to_us`) was recorded.
        pub to_recorded_us: Option<i64>,
    }
    no_relations!();
}

pub mod power {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_powers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub body_id: String,
        pub code: String,
        pub category: i32,
        pub current_version: i32,
        pub state: i32,
        pub display_name: String,
        pub created_us: i64,
    }
    no_relations!();
}

pub mod power_version {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_power_versions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub power_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        pub display_name: String,
        pub legal_bases: String,
        pub duty: String,
        pub flowchart_ref: String,
        pub benchmark: String,
        /// 法定时限 in days; 0 = none.
        pub time_limit_days: i32,
        pub state: i32,
        pub reason: String,
        pub effective_us: i64,
        pub recorded_us: i64,
    }
    no_relations!();
}

pub mod officer {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_officers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub display_name: String,
        pub kind: i32,
        pub body_id: String,
        pub status: i32,
        /// Keyed HMAC of the national ID number; the number itself is never stored.
        pub national_id_hmac: String,
        /// Current posts, JSON list of post ids.
        pub posts: String,
        pub created_us: i64,
        /// Effective time of the latest event: history is appended in order.
        pub last_effective_us: i64,
    }
    no_relations!();
}

pub mod officer_event {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_officer_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub officer_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        pub kind: String,
        pub effective_us: i64,
        pub recorded_us: i64,
        pub body_id: String,
        pub status: i32,
        /// Posts from this event on, JSON list of post ids.
        pub posts: String,
        pub reason: String,
        pub actor: String,
        /// The role the actor called with (`legal_office`, `department`,
        /// `service`): a status imposed as a sanction is lifted only by the
        /// legal-affairs office or a service. NULL on events recorded before
        /// m0002; their audit entry holds the role.
        pub actor_role: Option<String>,
    }
    no_relations!();
}

pub mod credential {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_credentials")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        #[sea_orm(unique)]
        pub number: String,
        pub holder_id: String,
        pub issuing_authority: String,
        pub valid_from_us: i64,
        pub valid_until_us: i64,
        pub revoked_us: Option<i64>,
        pub withheld_until_us: Option<i64>,
        pub created_us: i64,
    }
    no_relations!();
}

pub mod credential_event {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_credential_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub credential_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i32,
        pub kind: String,
        pub at_us: i64,
        pub withheld_until_us: Option<i64>,
        pub reason: String,
        pub actor: String,
    }
    no_relations!();
}

/// Every description a body has had; revision 1 is the one it was created with.
pub mod body_revision {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_body_revisions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub body_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub revision: i32,
        pub display_name: String,
        pub region_code: String,
        pub vertically_managed: bool,
        pub reason: String,
        pub actor: String,
        pub recorded_us: i64,
    }
    no_relations!();
}

/// Every description a post has had; revision 1 is the one it was created with.
pub mod post_revision {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_post_revisions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub post_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub revision: i32,
        pub display_name: String,
        pub unit_id: Option<String>,
        pub responsibilities: String,
        pub reason: String,
        pub actor: String,
        pub recorded_us: i64,
    }
    no_relations!();
}

/// A change recorded with an effective time more than the backdating grace
/// before it was recorded: the legal-affairs office's (or a service's), with
/// its reason.
pub mod late_change {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_late_changes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub entity: String,
        pub method: String,
        pub body_id: String,
        pub effective_us: i64,
        pub recorded_us: i64,
        pub reason: String,
        pub actor: String,
        pub role: String,
    }
    no_relations!();
}

/// The catalogue of major decisions (重大执法决定法制审核目录): every
/// version of a power's criteria, set by the legal-affairs office, appended
/// in effective-time order and never rewritten.
pub mod major_criteria {
    use sea_orm::entity::prelude::*;
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "registry_major_criteria")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub power_id: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        pub always: bool,
        pub fine_at_least_fen: i64,
        /// JSON list of strings, as given (trimmed).
        pub measures: String,
        pub reason: String,
        pub actor: String,
        pub effective_us: i64,
        pub recorded_us: i64,
    }
    no_relations!();
}
