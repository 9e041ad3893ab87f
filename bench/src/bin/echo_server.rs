//! `echo-server`: a bare tonic server, the baseline the registry is measured
//! against. It serves `PublicRegistryService` with the same generated code and
//! the same tonic as `probity`, but no layers (auth, telemetry, timeouts), no
//! health or reflection and no database: `VerifyCredential` returns a fixed
//! response of the same shape and about the same size as the real one.
//!
//! Usage: `echo-server --listen 127.0.0.1:PORT`
use std::net::SocketAddr;

use clap::Parser;
use probity_proto::registry::v1::{
    CredentialStatus, ListPublishedPostsRequest, ListPublishedPostsResponse,
    ListPublishedPowersRequest, ListPublishedPowersResponse, VerifyCredentialRequest,
    VerifyCredentialResponse,
    public_registry_service_server::{PublicRegistryService, PublicRegistryServiceServer},
};
use tonic::{Request, Response, Status, transport::Server};

#[derive(Parser)]
#[command(
    name = "echo-server",
    about = "Bare tonic baseline for the registry benchmark"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:50061")]
    listen: SocketAddr,
}

struct Echo {
    reply: VerifyCredentialResponse,
}

#[tonic::async_trait]
impl PublicRegistryService for Echo {
    async fn verify_credential(
        &self,
        request: Request<VerifyCredentialRequest>,
    ) -> Result<Response<VerifyCredentialResponse>, Status> {
        // Touch the request like a real handler would, then answer.
        let r = request.into_inner();
        if r.number.trim().is_empty() {
            return Err(Status::invalid_argument("number is required"));
        }
        Ok(Response::new(self.reply.clone()))
    }

    async fn list_published_powers(
        &self,
        _request: Request<ListPublishedPowersRequest>,
    ) -> Result<Response<ListPublishedPowersResponse>, Status> {
        Err(Status::unimplemented(
            "echo-server serves VerifyCredential only",
        ))
    }

    async fn list_published_posts(
        &self,
        _request: Request<ListPublishedPostsRequest>,
    ) -> Result<Response<ListPublishedPostsResponse>, Status> {
        Err(Status::unimplemented(
            "echo-server serves VerifyCredential only",
        ))
    }
}

fn ts(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let reply = VerifyCredentialResponse {
        holder_name_masked: "张*明".into(),
        body_display_name: "尚志市市场监督管理局".into(),
        body: "bodies/0197a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b".into(),
        status: CredentialStatus::Valid as i32,
        valid_from: ts(1_735_689_600),
        valid_until: ts(1_830_297_600),
        withheld_until: None,
    };
    eprintln!("echo-server: listening on {}", args.listen);
    Server::builder()
        .add_service(PublicRegistryServiceServer::new(Echo { reply }))
        .serve_with_shutdown(args.listen, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
