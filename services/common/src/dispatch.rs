//! One shape for every service's gRPC surface: who calls which method
//! ([`Ctx`]), the table that implements a tonic service trait by calling a
//! handler per method ([`rpc_methods!`](crate::rpc_methods)), and the table
//! of who may call what ([`policy!`](crate::policy)). Both tables are keyed
//! on the full method path, which is what the audit chain records and what
//! the auth layer looks up.
use crate::auth::Principal;

/// Who calls which method: what the audit chain records.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub principal: Principal,
    /// The full method path, `/package.Service/Method`.
    pub method: &'static str,
}

impl Ctx {
    /// The caller the auth layer put on `req`, calling `method`.
    pub fn from_request<T>(
        req: &tonic::Request<T>,
        method: &'static str,
    ) -> Result<Ctx, tonic::Status> {
        Ok(Ctx {
            principal: Principal::from_request(req)?,
            method,
        })
    }
}

/// Implements a tonic service trait from a table: each unary method builds
/// its [`Ctx`] and answers with `handler(&state, &ctx, request)`, where the
/// API type is a newtype over the service's state (`self.0`). Methods that
/// stream follow the table as ordinary items of the impl.
///
/// ```ignore
/// probity_common::rpc_methods! {
///     impl intake_service_server::IntakeService for IntakeApi as "probity.intake.v1.IntakeService" {
///         get_fact("GetFact", GetFactRequest) -> Fact => read::get_fact;
///     }
///     type ExportFactsStream = Out<ExportFactsResponse>;
///     async fn export_facts(&self, req: Request<ExportFactsRequest>) -> ... { ... }
/// }
/// ```
#[macro_export]
macro_rules! rpc_methods {
    (
        impl $($trait:ident)::+ for $api:ident as $svc:literal {
            $( $name:ident($method:literal, $req:ty) -> $resp:ty => $handler:path; )*
        }
        $($streaming:item)*
    ) => {
        #[$crate::dispatch::__private::tonic::async_trait]
        impl $($trait)::+ for $api {
            $(
                async fn $name(
                    &self,
                    req: $crate::dispatch::__private::tonic::Request<$req>,
                ) -> ::std::result::Result<
                    $crate::dispatch::__private::tonic::Response<$resp>,
                    $crate::dispatch::__private::tonic::Status,
                > {
                    let ctx = $crate::dispatch::Ctx::from_request(
                        &req,
                        concat!("/", $svc, "/", $method),
                    )?;
                    Ok($crate::dispatch::__private::tonic::Response::new(
                        $handler(&self.0, &ctx, req.into_inner()).await?,
                    ))
                }
            )*
            $($streaming)*
        }
    };
}

/// A service's access table, `pub const POLICY`: every method by its full
/// path, grouped by the gRPC service it belongs to.
///
/// ```ignore
/// probity_common::policy! {
///     "probity.rankings.v1.RankingsService" {
///         "RecordRun" => Raise,
///         "GetRun" => Read,
///     }
/// }
/// ```
#[macro_export]
macro_rules! policy {
    ($( $svc:literal { $( $method:literal => $access:expr ),* $(,)? } )*) => {
        pub const POLICY: &[(&str, $crate::auth::Access)] =
            &[$($((concat!("/", $svc, "/", $method), $access),)*)*];
    };
}

#[doc(hidden)]
pub mod __private {
    pub use tonic;
}
