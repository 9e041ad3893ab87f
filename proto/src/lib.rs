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

pub mod audit {
    pub mod v1 {
        tonic::include_proto!("probity.audit.v1");
    }
}

/// Every service's descriptors, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("probity_descriptor");
