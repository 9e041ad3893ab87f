//! The AIP rules `buf lint` does not check, read off the compiled
//! descriptors: timestamps end in `_time` (AIP-142), methods are a verb and
//! a noun (AIP-131..136), every List method pages (AIP-158), and field
//! behavior is an annotation (AIP-203), not a comment. `KNOWN_DRIFT` lists
//! what is still to be brought into shape; it may only shrink: an entry that
//! no longer drifts fails the test until it is removed.
use std::collections::BTreeSet;

use prost::Message;
use prost_types::{
    DescriptorProto, FileDescriptorProto, FileDescriptorSet, field_descriptor_proto::Type,
};

const KNOWN_DRIFT: &[&str] = &[];

const BEHAVIORS: &[&str] = &[
    "REQUIRED",
    "OPTIONAL",
    "OUTPUT_ONLY",
    "INPUT_ONLY",
    "IMMUTABLE",
    "IDENTIFIER",
];

fn ours() -> Vec<FileDescriptorProto> {
    let set = FileDescriptorSet::decode(probity_proto::FILE_DESCRIPTOR_SET).expect("descriptors");
    set.file
        .into_iter()
        .filter(|f| f.package().starts_with("probity."))
        .collect()
}

fn messages<'a>(
    prefix: &str,
    ms: &'a [DescriptorProto],
    out: &mut Vec<(String, &'a DescriptorProto)>,
) {
    for m in ms {
        let name = format!("{prefix}.{}", m.name());
        messages(&name, &m.nested_type, out);
        out.push((name, m));
    }
}

fn all_messages(f: &FileDescriptorProto) -> Vec<(String, &DescriptorProto)> {
    let mut out = Vec::new();
    messages(f.package(), &f.message_type, &mut out);
    out
}

fn timestamps_end_in_time(f: &FileDescriptorProto, drift: &mut BTreeSet<String>) {
    for (name, m) in all_messages(f) {
        for fl in &m.field {
            let ts = fl.type_name() == ".google.protobuf.Timestamp";
            if ts && (fl.name() == "at" || fl.name().ends_with("_at")) {
                drift.insert(format!("AIP-142 {name}.{}", fl.name()));
            }
        }
    }
}

fn words(camel: &str) -> usize {
    camel.chars().filter(|c| c.is_ascii_uppercase()).count()
}

fn methods_are_verb_and_noun_and_lists_page(f: &FileDescriptorProto, drift: &mut BTreeSet<String>) {
    let msgs = all_messages(f);
    let find = |t: &str| {
        msgs.iter()
            .find(|(n, _)| format!(".{n}") == t)
            .map(|(_, m)| *m)
    };
    for s in &f.service {
        for m in &s.method {
            let full = format!("{}.{}.{}", f.package(), s.name(), m.name());
            if words(m.name()) < 2 {
                drift.insert(format!("AIP-136 {full}"));
            }
            if !m.name().starts_with("List") || m.client_streaming() || m.server_streaming() {
                continue;
            }
            let has = |msg: Option<&DescriptorProto>, field: &str, ty: Type| {
                msg.is_some_and(|msg| {
                    msg.field
                        .iter()
                        .any(|x| x.name() == field && x.r#type() == ty)
                })
            };
            let req = find(m.input_type());
            let resp = find(m.output_type());
            if !has(req, "page_size", Type::Int32)
                || !has(req, "page_token", Type::String)
                || !has(resp, "next_page_token", Type::String)
            {
                drift.insert(format!("AIP-158 {full}"));
            }
        }
    }
}

/// A field's leading comment that opens with "(REQUIRED)" and the like is
/// field behavior written as prose; conditional ones ("(RECTIFICATION:
/// REQUIRED)") are not, and stay comments.
fn behavior_is_annotated(f: &FileDescriptorProto, drift: &mut BTreeSet<String>) {
    let Some(info) = &f.source_code_info else {
        panic!("{}: the descriptor set carries no comments", f.name());
    };
    for loc in &info.location {
        let Some(open) = loc.leading_comments().trim_start().strip_prefix('(') else {
            continue;
        };
        let Some((inside, _)) = open.split_once(')') else {
            continue;
        };
        if inside.split(", ").all(|t| BEHAVIORS.contains(&t)) {
            drift.insert(format!("AIP-203 {} at path {:?}", f.name(), loc.path));
        }
    }
}

#[test]
fn the_protos_follow_the_aips() {
    let files = ours();
    assert!(files.len() >= 5, "every service's protos: {}", files.len());
    let mut drift = BTreeSet::new();
    for f in &files {
        timestamps_end_in_time(f, &mut drift);
        methods_are_verb_and_noun_and_lists_page(f, &mut drift);
        behavior_is_annotated(f, &mut drift);
    }
    let known: BTreeSet<String> = KNOWN_DRIFT.iter().map(|s| s.to_string()).collect();
    let new: Vec<_> = drift.difference(&known).collect();
    let fixed: Vec<_> = known.difference(&drift).collect();
    assert!(new.is_empty(), "protos drift from the AIPs:\n{new:#?}");
    assert!(
        fixed.is_empty(),
        "no longer drifting, remove from KNOWN_DRIFT:\n{fixed:#?}"
    );
}

#[test]
fn the_lint_sees_drift() {
    // The checks above must be able to fail: a hand-made file with one of
    // each problem is caught by each.
    let bad = FileDescriptorProto {
        name: Some("bad.proto".into()),
        package: Some("probity.bad.v1".into()),
        message_type: vec![
            DescriptorProto {
                name: Some("Thing".into()),
                field: vec![prost_types::FieldDescriptorProto {
                    name: Some("decided_at".into()),
                    type_name: Some(".google.protobuf.Timestamp".into()),
                    ..Default::default()
                }],
                ..Default::default()
            },
            DescriptorProto {
                name: Some("ListThingsRequest".into()),
                ..Default::default()
            },
        ],
        service: vec![prost_types::ServiceDescriptorProto {
            name: Some("BadService".into()),
            method: vec![
                prost_types::MethodDescriptorProto {
                    name: Some("Decide".into()),
                    input_type: Some(".probity.bad.v1.Thing".into()),
                    output_type: Some(".probity.bad.v1.Thing".into()),
                    ..Default::default()
                },
                prost_types::MethodDescriptorProto {
                    name: Some("ListThings".into()),
                    input_type: Some(".probity.bad.v1.ListThingsRequest".into()),
                    output_type: Some(".probity.bad.v1.Thing".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
        source_code_info: Some(prost_types::SourceCodeInfo {
            location: vec![prost_types::source_code_info::Location {
                path: vec![4, 0, 2, 0],
                leading_comments: Some(" (REQUIRED, IMMUTABLE) the time\n".into()),
                ..Default::default()
            }],
        }),
        ..Default::default()
    };
    let mut drift = BTreeSet::new();
    timestamps_end_in_time(&bad, &mut drift);
    methods_are_verb_and_noun_and_lists_page(&bad, &mut drift);
    behavior_is_annotated(&bad, &mut drift);
    let got: Vec<_> = drift.iter().map(|d| d.split(' ').next().unwrap()).collect();
    assert_eq!(
        got,
        ["AIP-136", "AIP-142", "AIP-158", "AIP-203"],
        "{drift:#?}"
    );
}
