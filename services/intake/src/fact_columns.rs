//! Stored facts as Arrow columns for ExportFactColumns: what the rankings
//! need of each payload, read straight off its protobuf encoding (no Fact
//! is decoded or built per fact), gathered column by column and written as
//! Arrow IPC streams.
use std::sync::Arc;

use polars_arrow::{
    array::{Array, BooleanArray, MutableBinaryViewArray, PrimitiveArray},
    datatypes::{ArrowSchema, Field},
    io::ipc::write::{StreamWriter, WriteOptions},
    record_batch::RecordBatchT,
};
use probity_common::{AppError, AppResult};
use probity_proto::intake::v1::{Decision, LegalReview};
use prost::{
    bytes::Buf,
    encoding::{DecodeContext, WireType, decode_key, decode_varint, skip_field},
};

/// What the rankings read of one fact's payload (the fields of
/// ExportFactColumnsResponse.facts that come from it).
#[derive(Default, Debug, PartialEq)]
pub struct Payload<'a> {
    pub refers_to: &'a str,
    /// An inspection's power and cause (Art. 19(7): the drawn share of
    /// routine inspections, by unit and power).
    pub power: &'a str,
    pub cause: &'a str,
    pub records: i32,
    pub draw_verified: bool,
    pub wrongful: bool,
    pub major: bool,
    pub legal_review_ok: bool,
    pub penalty: bool,
    pub within_benchmark: bool,
    pub hours: f64,
    pub exam_score: f64,
    pub has_exam: bool,
    pub case_file_standard: bool,
    pub transfer_kind: i32,
    pub item_score: f64,
    pub item_year: i32,
    /// The officers credited with the act, as recorded.
    pub officers: Vec<&'a str>,
}

type Ts = Option<prost_types::Timestamp>;

/// One field of a message: its tag and, for a length-delimited field, its
/// bytes; a varint or fixed field's value as u64.
enum Wire<'a> {
    Bytes(&'a [u8]),
    Varint(u64),
    Fixed64(u64),
}

/// Calls `f` with every field of the message in `buf` (unknown wire types
/// skipped).
fn fields<'a>(
    mut buf: &'a [u8],
    mut f: impl FnMut(u32, Wire<'a>) -> AppResult<()>,
) -> AppResult<()> {
    let bad = |e: prost::DecodeError| AppError::internal(format!("a stored fact: {e}"));
    while buf.has_remaining() {
        let (tag, wt) = decode_key(&mut buf).map_err(bad)?;
        match wt {
            WireType::LengthDelimited => {
                let len = decode_varint(&mut buf).map_err(bad)? as usize;
                if len > buf.len() {
                    return Err(AppError::internal("a stored fact: truncated"));
                }
                let (field, rest) = buf.split_at(len);
                buf = rest;
                f(tag, Wire::Bytes(field))?;
            }
            WireType::Varint => f(tag, Wire::Varint(decode_varint(&mut buf).map_err(bad)?))?,
            WireType::SixtyFourBit if buf.len() >= 8 => {
                f(tag, Wire::Fixed64(buf.get_u64_le()))?;
            }
            _ => skip_field(wt, tag, &mut buf, DecodeContext::default()).map_err(bad)?,
        }
    }
    Ok(())
}

fn text(b: &[u8]) -> &str {
    // prost wrote it from a String: valid UTF-8 unless the row was damaged
    std::str::from_utf8(b).unwrap_or_default()
}

fn float(w: &Wire<'_>) -> f64 {
    match w {
        Wire::Fixed64(v) => f64::from_bits(*v),
        _ => 0.0,
    }
}

fn int(w: &Wire<'_>) -> u64 {
    match w {
        Wire::Varint(v) => *v,
        _ => 0,
    }
}

fn timestamp(b: &[u8]) -> AppResult<prost_types::Timestamp> {
    let mut t = prost_types::Timestamp::default();
    fields(b, |tag, w| {
        match tag {
            1 => t.seconds = int(&w) as i64,
            2 => t.nanos = int(&w) as i32,
            _ => {}
        }
        Ok(())
    })?;
    Ok(t)
}

/// The payload fields of a stored Fact's encoding (field numbers as in
/// intake.proto: the oneof's messages are 20..=30).
pub fn payload(encoded: &[u8]) -> AppResult<Payload<'_>> {
    let mut p = Payload::default();
    let mut inner: Option<(u32, &[u8])> = None;
    fields(encoded, |tag, w| {
        if let (20..=30, Wire::Bytes(b)) = (tag, w) {
            inner = Some((tag, b));
        }
        Ok(())
    })?;
    let Some((which, b)) = inner else {
        return Ok(p);
    };
    match which {
        // Matter: officers 3, records 5
        20 => fields(b, |tag, w| {
            match (tag, w) {
                (3, Wire::Bytes(o)) => p.officers.push(text(o)),
                (5, Wire::Bytes(_)) => p.records += 1,
                _ => {}
            }
            Ok(())
        })?,
        // MatterClosing: matter 1; ComplaintClosing: complaint 1
        21 | 26 => fields(b, |tag, w| {
            if let (1, Wire::Bytes(s)) = (tag, w) {
                p.refers_to = text(s);
            }
            Ok(())
        })?,
        22 => {
            // Decision: matter 1, decide_time 2, penalty 3 (within 4),
            // major 5, legal_review 6 (result 1, review_time 2)
            let (mut decided, mut review): (Ts, Option<LegalReview>) = (None, None);
            fields(b, |tag, w| {
                match (tag, w) {
                    (1, Wire::Bytes(s)) => p.refers_to = text(s),
                    (2, Wire::Bytes(t)) => decided = Some(timestamp(t)?),
                    (3, Wire::Bytes(pen)) => {
                        p.penalty = true;
                        fields(pen, |tag, w| {
                            if tag == 4 {
                                p.within_benchmark = int(&w) != 0;
                            }
                            Ok(())
                        })?;
                    }
                    (5, w) => p.major = int(&w) != 0,
                    (6, Wire::Bytes(lr)) => {
                        let mut r = LegalReview::default();
                        fields(lr, |tag, w| {
                            match (tag, w) {
                                (1, w) => r.result = int(&w) as i32,
                                (2, Wire::Bytes(t)) => r.review_time = Some(timestamp(t)?),
                                _ => {}
                            }
                            Ok(())
                        })?;
                        review = Some(r);
                    }
                    _ => {}
                }
                Ok(())
            })?;
            // the rule intake and the rankings share, on the fields it reads
            let d = Decision {
                decide_time: decided,
                legal_review: review,
                ..Default::default()
            };
            p.legal_review_ok = probity_rules::major::legal_review_problem(&d).is_none();
        }
        // Inspection: power 1, officers 2, records 6, draw_verified 7, cause 8
        23 => fields(b, |tag, w| {
            match (tag, w) {
                (1, Wire::Bytes(s)) => p.power = text(s),
                (8, Wire::Bytes(s)) => p.cause = text(s),
                (2, Wire::Bytes(o)) => p.officers.push(text(o)),
                (6, Wire::Bytes(_)) => p.records += 1,
                (7, w) => p.draw_verified = int(&w) != 0,
                _ => {}
            }
            Ok(())
        })?,
        // ReviewOutcome: decision 1, wrongful 5
        24 => fields(b, |tag, w| {
            match (tag, w) {
                (1, Wire::Bytes(s)) => p.refers_to = text(s),
                (5, w) => p.wrongful = int(&w) != 0,
                _ => {}
            }
            Ok(())
        })?,
        // Complaint: officers 3
        25 => fields(b, |tag, w| {
            if let (3, Wire::Bytes(o)) = (tag, w) {
                p.officers.push(text(o));
            }
            Ok(())
        })?,
        // Transfer: kind 1, officers 4 (its matter is not a reference the
        // rankings follow)
        27 => fields(b, |tag, w| {
            match (tag, w) {
                (1, w) => p.transfer_kind = int(&w) as i32,
                (4, Wire::Bytes(o)) => p.officers.push(text(o)),
                _ => {}
            }
            Ok(())
        })?,
        // Training: officer 1, hours 2, exam_score 3, has_exam 4
        28 => fields(b, |tag, w| {
            match (tag, w) {
                (1, Wire::Bytes(o)) => p.officers.push(text(o)),
                (2, w) => p.hours = float(&w),
                (3, w) => p.exam_score = float(&w),
                (4, w) => p.has_exam = int(&w) != 0,
                _ => {}
            }
            Ok(())
        })?,
        29 => {
            // CaseFileReview: decision 1, the six points 3..=8
            let mut points = 0u32;
            fields(b, |tag, w| {
                match (tag, w) {
                    (1, Wire::Bytes(s)) => p.refers_to = text(s),
                    (3..=8, w) if int(&w) != 0 => points |= 1 << tag,
                    _ => {}
                }
                Ok(())
            })?;
            p.case_file_standard = points == 0b1_1111_1000;
        }
        // AssessmentItem: year 1, score 3
        30 => fields(b, |tag, w| {
            match (tag, w) {
                (1, w) => p.item_year = int(&w) as i32,
                (3, w) => p.item_score = float(&w),
                _ => {}
            }
            Ok(())
        })?,
        _ => {}
    }
    Ok(p)
}

/// A stored fact's row as the export reads it.
pub struct Stored<'a> {
    pub id: i64,
    pub kind: i32,
    /// bare body id
    pub body: &'a str,
    pub source_id: &'a str,
    pub voided: bool,
    pub occurred_us: i64,
    pub payload: &'a [u8],
}

/// Column builders of one message's three tables.
#[derive(Default)]
pub struct Batch {
    id: Vec<i64>,
    kind: Vec<i32>,
    body: MutableBinaryViewArray<str>,
    source_id: MutableBinaryViewArray<str>,
    refers_to: MutableBinaryViewArray<str>,
    power: MutableBinaryViewArray<str>,
    cause: MutableBinaryViewArray<str>,
    occurred_us: Vec<i64>,
    voided: Vec<bool>,
    records: Vec<i32>,
    draw_verified: Vec<bool>,
    wrongful: Vec<bool>,
    major: Vec<bool>,
    legal_review_ok: Vec<bool>,
    penalty: Vec<bool>,
    within_benchmark: Vec<bool>,
    hours: Vec<f64>,
    exam_score: Vec<f64>,
    has_exam: Vec<bool>,
    case_file_standard: Vec<bool>,
    transfer_kind: Vec<i32>,
    item_score: Vec<f64>,
    item_year: Vec<i32>,
    of_id: Vec<i64>,
    of_officer: MutableBinaryViewArray<str>,
    fi_id: Vec<i64>,
    fi_rule: MutableBinaryViewArray<str>,
    fi_officer: MutableBinaryViewArray<str>,
    fi_state: Vec<i32>,
    /// "bodies/" then the body id, reused
    scratch: String,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.id.is_empty()
    }

    pub fn push(&mut self, f: &Stored<'_>) -> AppResult<()> {
        let p = payload(f.payload)?;
        self.id.push(f.id);
        self.kind.push(f.kind);
        self.scratch.clear();
        self.scratch.push_str("bodies/");
        self.scratch.push_str(f.body);
        self.body.push_value(self.scratch.as_str());
        self.source_id.push_value(f.source_id);
        self.refers_to.push_value(p.refers_to);
        self.power.push_value(p.power);
        self.cause.push_value(p.cause);
        self.occurred_us.push(f.occurred_us);
        self.voided.push(f.voided);
        self.records.push(p.records);
        self.draw_verified.push(p.draw_verified);
        self.wrongful.push(p.wrongful);
        self.major.push(p.major);
        self.legal_review_ok.push(p.legal_review_ok);
        self.penalty.push(p.penalty);
        self.within_benchmark.push(p.within_benchmark);
        self.hours.push(p.hours);
        self.exam_score.push(p.exam_score);
        self.has_exam.push(p.has_exam);
        self.case_file_standard.push(p.case_file_standard);
        self.transfer_kind.push(p.transfer_kind);
        self.item_score.push(p.item_score);
        self.item_year.push(p.item_year);
        for o in p.officers {
            self.of_id.push(f.id);
            self.of_officer.push_value(o);
        }
        Ok(())
    }

    /// A finding of a fact pushed: its rule, bare officer id and state.
    pub fn push_finding(&mut self, id: i64, rule: &str, officer: &str, state: i32) {
        self.fi_id.push(id);
        self.fi_rule.push_value(rule);
        self.scratch.clear();
        if !officer.is_empty() {
            self.scratch.push_str("officers/");
            self.scratch.push_str(officer);
        }
        self.fi_officer.push_value(self.scratch.as_str());
        self.fi_state.push(state);
    }

    /// The three tables as IPC streams; the builders start empty again.
    pub fn encode(&mut self) -> AppResult<[Vec<u8>; 3]> {
        let b = std::mem::take(self);
        let facts = ipc(vec![
            ("id", i64s(b.id)),
            ("kind", i32s(b.kind)),
            ("body", strs(b.body)),
            ("source_id", strs(b.source_id)),
            ("refers_to", strs(b.refers_to)),
            ("power", strs(b.power)),
            ("cause", strs(b.cause)),
            ("occurred_us", i64s(b.occurred_us)),
            ("voided", bools(&b.voided)),
            ("records", i32s(b.records)),
            ("draw_verified", bools(&b.draw_verified)),
            ("wrongful", bools(&b.wrongful)),
            ("major", bools(&b.major)),
            ("legal_review_ok", bools(&b.legal_review_ok)),
            ("penalty", bools(&b.penalty)),
            ("within_benchmark", bools(&b.within_benchmark)),
            ("hours", f64s(b.hours)),
            ("exam_score", f64s(b.exam_score)),
            ("has_exam", bools(&b.has_exam)),
            ("case_file_standard", bools(&b.case_file_standard)),
            ("transfer_kind", i32s(b.transfer_kind)),
            ("item_score", f64s(b.item_score)),
            ("item_year", i32s(b.item_year)),
        ])?;
        let officers = ipc(vec![("id", i64s(b.of_id)), ("officer", strs(b.of_officer))])?;
        let findings = ipc(vec![
            ("id", i64s(b.fi_id)),
            ("rule", strs(b.fi_rule)),
            ("officer", strs(b.fi_officer)),
            ("state", i32s(b.fi_state)),
        ])?;
        Ok([facts, officers, findings])
    }
}

fn i64s(v: Vec<i64>) -> Box<dyn Array> {
    PrimitiveArray::from_vec(v).boxed()
}
fn i32s(v: Vec<i32>) -> Box<dyn Array> {
    PrimitiveArray::from_vec(v).boxed()
}
fn f64s(v: Vec<f64>) -> Box<dyn Array> {
    PrimitiveArray::from_vec(v).boxed()
}
fn bools(v: &[bool]) -> Box<dyn Array> {
    BooleanArray::from_slice(v).boxed()
}
fn strs(v: MutableBinaryViewArray<str>) -> Box<dyn Array> {
    v.freeze().boxed()
}

fn fault(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("arrow: {e}"))
}

/// One IPC stream: the schema, one record batch, the end marker.
fn ipc(columns: Vec<(&str, Box<dyn Array>)>) -> AppResult<Vec<u8>> {
    let height = columns.first().map(|(_, a)| a.len()).unwrap_or(0);
    let schema: ArrowSchema = columns
        .iter()
        .map(|(name, a)| {
            let f = Field::new((*name).into(), a.dtype().clone(), false);
            (f.name.clone(), f)
        })
        .collect();
    let schema = Arc::new(schema);
    let arrays = columns.into_iter().map(|(_, a)| a).collect();
    let batch = RecordBatchT::try_new(height, schema.clone(), arrays).map_err(fault)?;
    let mut w = StreamWriter::new(Vec::new(), WriteOptions { compression: None });
    w.start(&schema, None).map_err(fault)?;
    w.write(&batch, None).map_err(fault)?;
    w.finish().map_err(fault)?;
    Ok(w.into_inner())
}

#[cfg(test)]
mod tests {
    use super::payload;
    use probity_proto::intake::v1::{
        CaseFileReview, Decision, Fact, Inspection, LegalReview, LegalReviewResult, Matter,
        Penalty, ProcessRecord, Training, fact::Payload,
    };
    use prost::Message;

    fn enc(p: Payload) -> Vec<u8> {
        Fact {
            name: "facts/1".into(),
            body: "bodies/b".into(),
            source_id: "s".into(),
            payload: Some(p),
            ..Default::default()
        }
        .encode_to_vec()
    }

    #[test]
    fn the_payload_fields_read_off_the_encoding_are_the_decoded_ones() {
        let at = |s| {
            Some(prost_types::Timestamp {
                seconds: s,
                nanos: 0,
            })
        };
        let m = enc(Payload::Matter(Matter {
            power: "bodies/b/powers/p".into(),
            officers: vec!["officers/a".into(), "officers/b".into()],
            records: vec![ProcessRecord::default(); 3],
            accept_time: at(5),
            ..Default::default()
        }));
        let p = payload(&m).unwrap();
        assert_eq!(
            (p.officers, p.records),
            (vec!["officers/a", "officers/b"], 3)
        );
        let decision = |review: i64, result: LegalReviewResult| {
            enc(Payload::Decision(Decision {
                matter: "m1".into(),
                decide_time: at(1_000),
                penalty: Some(Penalty {
                    within_benchmark: true,
                    ..Default::default()
                }),
                major: true,
                legal_review: Some(LegalReview {
                    result: result as i32,
                    review_time: at(review),
                }),
                officers: vec!["officers/x".into()],
                ..Default::default()
            }))
        };
        let d = decision(999, LegalReviewResult::Passed);
        let p = payload(&d).unwrap();
        assert_eq!(p.refers_to, "m1");
        assert!(p.major && p.penalty && p.within_benchmark && p.legal_review_ok);
        // a decision's officers are not credited through this table
        assert!(p.officers.is_empty());
        assert!(
            !payload(&decision(1_001, LegalReviewResult::Passed))
                .unwrap()
                .legal_review_ok
        );
        assert!(
            !payload(&decision(999, LegalReviewResult::Failed))
                .unwrap()
                .legal_review_ok
        );
        let i = enc(Payload::Inspection(Inspection {
            officers: vec!["officers/a".into()],
            random_draw: "draws/d".into(),
            draw_verified: true,
            ..Default::default()
        }));
        let p = payload(&i).unwrap();
        assert!(p.draw_verified && p.records == 0);
        let t = enc(Payload::Training(Training {
            officer: "officers/t".into(),
            hours: 2.5,
            exam_score: 88.0,
            has_exam: true,
            ..Default::default()
        }));
        let p = payload(&t).unwrap();
        assert_eq!((p.hours, p.exam_score, p.has_exam), (2.5, 88.0, true));
        let all = CaseFileReview {
            decision: "d1".into(),
            facts_clear: true,
            evidence_conclusive: true,
            basis_correct: true,
            procedure_lawful: true,
            content_appropriate: true,
            documents_standard: true,
            ..Default::default()
        };
        assert!(
            payload(&enc(Payload::CaseFileReview(all.clone())))
                .unwrap()
                .case_file_standard
        );
        let five = CaseFileReview {
            documents_standard: false,
            ..all
        };
        assert!(
            !payload(&enc(Payload::CaseFileReview(five)))
                .unwrap()
                .case_file_standard
        );
    }
}
