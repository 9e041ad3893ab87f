//! Code generated from `proto/probity/**` by tonic-prost-build at build time.

pub mod registry {
    pub mod v1 {
        tonic::include_proto!("probity.registry.v1");
    }
}

pub mod intake {
    pub mod v1 {
        tonic::include_proto!("probity.intake.v1");
    }
}

pub mod accountability {
    pub mod v1 {
        tonic::include_proto!("probity.accountability.v1");
    }
}

pub mod rankings {
    pub mod v1 {
        tonic::include_proto!("probity.rankings.v1");
    }
}

pub mod draws {
    pub mod v1 {
        tonic::include_proto!("probity.draws.v1");
    }
}

pub mod audit {
    pub mod v1 {
        tonic::include_proto!("probity.audit.v1");
    }
}

/// Every service's descriptors, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("probity_descriptor");

impl intake::v1::Fact {
    /// The officers the fact itself names (who acted, or who trained). A
    /// decision or closing names its own; those it inherits from its matter
    /// or complaint are the referred fact's.
    pub fn named_officers(&self) -> Vec<String> {
        use intake::v1::fact::Payload;
        match &self.payload {
            Some(Payload::Matter(m)) => m.officers.clone(),
            Some(Payload::Inspection(i)) => i.officers.clone(),
            Some(Payload::Complaint(c)) => c.officers.clone(),
            Some(Payload::Transfer(t)) => t.officers.clone(),
            Some(Payload::Training(t)) => vec![t.officer.clone()],
            Some(Payload::Decision(d)) => d.officers.clone(),
            Some(Payload::ComplaintClosing(c)) => c.officers.clone(),
            _ => Vec::new(),
        }
    }
}

impl intake::v1::fact::Payload {
    /// The kind of fact the payload is (the `kind` intake stores beside it).
    pub fn kind(&self) -> intake::v1::FactKind {
        use intake::v1::{FactKind, fact::Payload};
        match self {
            Payload::Matter(_) => FactKind::Matter,
            Payload::MatterClosing(_) => FactKind::MatterClosing,
            Payload::Decision(_) => FactKind::Decision,
            Payload::Inspection(_) => FactKind::Inspection,
            Payload::ReviewOutcome(_) => FactKind::ReviewOutcome,
            Payload::Complaint(_) => FactKind::Complaint,
            Payload::ComplaintClosing(_) => FactKind::ComplaintClosing,
            Payload::Transfer(_) => FactKind::Transfer,
            Payload::Training(_) => FactKind::Training,
            Payload::CaseFileReview(_) => FactKind::CaseFileReview,
            Payload::AssessmentItem(_) => FactKind::AssessmentItem,
        }
    }
}
