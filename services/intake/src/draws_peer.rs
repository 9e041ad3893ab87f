//! Intake's line to the draws service: the draws that inspections cite
//! (GetDraw) and the plans' caps on inspections per target (GetDrawPlan),
//! both granted to intake's identity (`service_identity::INTAKE`). Not the
//! public GetDraw: that one is rate-limited per address, and intake calls
//! from one. When the draws service cannot be reached intake answers
//! UNAVAILABLE and writes nothing, as with the registry.
use std::{collections::HashMap, net::SocketAddr, time::Duration};

use probity_common::{
    AppResult,
    config::Settings,
    peer::{Peer, PeerChannel, PeerConfig, PeerError},
};
use probity_proto::draws::v1::{
    Draw, GetDrawPlanRequest, GetDrawRequest, draws_service_client::DrawsServiceClient,
};

pub struct DrawsPeer {
    peer: Peer,
    client: DrawsServiceClient<PeerChannel>,
    plans: DrawsServiceClient<PeerChannel>,
}

impl DrawsPeer {
    /// `own` is this process's address, used when no endpoint is configured.
    pub fn new(settings: &Settings, own: SocketAddr) -> anyhow::Result<Self> {
        let s = settings.section::<crate::settings::IntakeSettings>();
        let peer = Peer::new(
            settings,
            PeerConfig {
                endpoint_setting: "intake.draws_endpoint",
                endpoint: &s.draws_endpoint,
                token_setting: "intake.draws_token_file",
                token_file: &s.draws_token_file,
                subject: probity_common::service_identity::INTAKE.subject,
                timeout: Duration::from_millis(s.draws_timeout_ms),
            },
            own,
        )?;
        // A drawn record carries its lists (record_json): allow a large one.
        let client =
            DrawsServiceClient::new(peer.channel()).max_decoding_message_size(64 * 1024 * 1024);
        let plans = DrawsServiceClient::new(peer.channel());
        Ok(DrawsPeer {
            peer,
            client,
            plans,
        })
    }

    /// Each named draw as the draws service holds it now; None for one it
    /// does not know.
    pub async fn draws(&self, names: &[String]) -> AppResult<HashMap<String, Option<Draw>>> {
        let mut out = HashMap::new();
        for name in names {
            if out.contains_key(name) {
                continue;
            }
            let mut c = self.client.clone();
            let got = match self
                .peer
                .call(
                    "the draws service",
                    c.get_draw(GetDrawRequest { name: name.clone() }),
                )
                .await
            {
                Ok(d) => Some(d),
                Err(PeerError::Refused(s)) if s.code() == tonic::Code::NotFound => None,
                Err(e) => return Err(e.into()),
            };
            out.insert(name.clone(), got);
        }
        Ok(out)
    }

    /// max_inspections_per_target of the plan of `unit` (bodies/{id}) for
    /// `power` (bodies/{id}/powers/{p}) in `year`; None when it has none.
    pub async fn cap(&self, unit: &str, power: &str, year: i32) -> AppResult<Option<i32>> {
        let Some(power_id) = power.rsplit('/').next().filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        let name = format!("{unit}/drawPlans/{year}-{power_id}");
        let mut c = self.plans.clone();
        match self
            .peer
            .call(
                "the draws service",
                c.get_draw_plan(GetDrawPlanRequest { name }),
            )
            .await
        {
            Ok(p) => Ok(Some(p.max_inspections_per_target)),
            Err(PeerError::Refused(s))
                if matches!(
                    s.code(),
                    tonic::Code::NotFound | tonic::Code::InvalidArgument
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}
