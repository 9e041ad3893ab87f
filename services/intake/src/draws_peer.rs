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
    Draw, DrawPlan, DrawState, GetDrawPlanRequest, GetDrawRequest,
    draws_service_client::DrawsServiceClient,
};

/// Drawn draws already fetched (a draw once DRAWN is never changed again).
#[derive(Default)]
pub struct Drawn(HashMap<String, Draw>);

impl Drawn {
    /// Draws one stream keeps: a unit cites a handful.
    const KEEP: usize = 256;
}

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
    /// does not know. Those in `drawn` are not asked for again, and drawn
    /// ones asked for are kept there.
    pub async fn draws(
        &self,
        names: &[String],
        drawn: &mut Drawn,
    ) -> AppResult<HashMap<String, Option<Draw>>> {
        let mut out = HashMap::new();
        for name in names {
            if out.contains_key(name) {
                continue;
            }
            if let Some(d) = drawn.0.get(name) {
                out.insert(name.clone(), Some(d.clone()));
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
            if let Some(d) = got.as_ref().filter(|d| d.state == DrawState::Drawn as i32)
                && drawn.0.len() < Drawn::KEEP
            {
                drawn.0.insert(name.clone(), d.clone());
            }
            out.insert(name.clone(), got);
        }
        Ok(out)
    }

    /// The cap on inspections of one target of the plan of `unit`
    /// (bodies/{id}) for `power` (bodies/{id}/powers/{p}) in `year`: the
    /// strictest max_inspections_per_target of all its revisions; None when
    /// it has none. Not the current one alone, nor the one in force at the
    /// inspection's time: inspect_time is the unit's word, and a unit that
    /// could loosen its plan (raise the cap, or lower then raise it) would
    /// make past or coming findings vanish. A revision can only tighten.
    pub async fn cap(&self, unit: &str, power: &str, year: i32) -> AppResult<Option<i32>> {
        let Some(power_id) = power.rsplit('/').next().filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        let name = format!("{unit}/drawPlans/{year}-{power_id}");
        let Some(current) = self.plan(&name, 0).await? else {
            return Ok(None);
        };
        let mut cap = current.max_inspections_per_target;
        for revision in 1..current.revision {
            if let Some(p) = self.plan(&name, revision).await? {
                cap = cap.min(p.max_inspections_per_target);
            }
        }
        Ok(Some(cap))
    }

    /// A revision of a plan (0: the current one); None when there is none.
    async fn plan(&self, name: &str, revision: i32) -> AppResult<Option<DrawPlan>> {
        let mut c = self.plans.clone();
        match self
            .peer
            .call(
                "the draws service",
                c.get_draw_plan(GetDrawPlanRequest {
                    name: name.to_string(),
                    revision,
                }),
            )
            .await
        {
            Ok(p) => Ok(Some(p)),
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
