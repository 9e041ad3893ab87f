//! What a department may learn through intake of other bodies' officers:
//! nothing.
use tonic::Code;

use super::*;
use crate::{
    db_test,
    fixtures::{bad_fields, world},
    harness::TestServer,
    util::expect_code,
};

db_test!(
    a_department_learns_nothing_of_other_bodies_officers,
    |b| async move {
        let s = TestServer::start(b).await;
        let w = world(&s).await;
        let stranger = crate::fixtures::officer(
            &s,
            &w.other,
            "周九",
            probity_proto::registry::v1::OfficerKind::Officer,
            vec![],
            7,
            crate::fixtures::since(),
        )
        .await;
        let names = [w.a.name.as_str(), w.b.name.as_str(), stranger.name.as_str()];
        // to the department, another body's officer is no officer at all ...
        let e = expect_code(
            dept(&s, &w)
                .await
                .submit_fact(fact(&w, "M1", matter(&w, &names, when())))
                .await,
            Code::InvalidArgument,
        );
        assert_eq!(bad_fields(&e), vec!["fact.matter.officers[2]".to_string()]);
        // ... while the legal-affairs office records the act and its finding
        let f = legal(&s)
            .await
            .submit_fact(fact(&w, "M1", matter(&w, &names, when())))
            .await
            .unwrap()
            .into_inner();
        assert!(
            f.findings
                .iter()
                .any(|x| x.rule == "OFFICER_OF_OTHER_BODY" && x.officer == stranger.name),
            "{:?}",
            f.findings
        );
        s.stop().await;
    }
);
