#!/usr/bin/env bash
# A tour of the registry and intake with grpcurl against a running `probity serve`
# (default 127.0.0.1:50051, embedded SQLite). Needs grpcurl and python3.
set -euo pipefail
ADDR=${ADDR:-127.0.0.1:50051}
PROBITY=${PROBITY:-probity}
TOKEN=$($PROBITY token issue --role legal_office --subject legal-office-1)
call() { echo "\$ grpcurl ... $1 $2" >&2; grpcurl -plaintext -H "authorization: Bearer $TOKEN" -d "$2" "$ADDR" "$1"; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
R=probity.registry.v1.RegistryService
P=probity.registry.v1.PublicRegistryService

grpcurl -plaintext "$ADDR" list
GOV=$(call $R/CreateBody '{"body":{"display_name":"尚志市人民政府","kind":"BODY_KIND_GOVERNMENT","region_code":"230183"}}' | field '["name"]')
DEPT=$(call $R/CreateBody "{\"request_id\":\"$(python3 -c 'import uuid;print(uuid.uuid4())')\",\"body\":{\"display_name\":\"尚志市市场监督管理局\",\"kind\":\"BODY_KIND_DEPARTMENT\",\"parent\":\"$GOV\",\"region_code\":\"230183\"}}" | field '["name"]')
POWER=$(call $R/CreatePower "{\"parent\":\"$DEPT\",\"power\":{\"code\":\"JC-001\",\"display_name\":\"食品生产经营监督检查\",\"category\":\"POWER_CATEGORY_INSPECTION\",\"legal_bases\":[{\"law\":\"《中华人民共和国食品安全法》\",\"article\":\"第一百一十条\"}],\"duty\":\"依法实施监督检查\"},\"legal_basis_change\":{\"document\":\"尚政发〔2026〕1号\",\"summary\":\"新增检查事项\"}}" | field '["name"]')
POST=$(call $R/CreatePost "{\"parent\":\"$DEPT\",\"post\":{\"display_name\":\"执法一科科员\",\"responsibilities\":\"负责食品生产经营监督检查\"}}" | field '["name"]')
call $R/SetPostPowers "{\"post\":\"$POST\",\"powers\":[\"$POWER\"]}"
A=$(call $R/CreateOfficer "{\"officer\":{\"display_name\":\"张三明\",\"kind\":\"OFFICER_KIND_OFFICER\",\"body\":\"$DEPT\",\"posts\":[\"$POST\"],\"national_id\":\"11010519491231002X\"}}" | field '["name"]')
call $R/IssueCredential "{\"credential\":{\"number\":\"HLJ-230183-0001\",\"holder\":\"$A\",\"issuing_authority\":\"尚志市人民政府\",\"valid_from\":\"2026-01-01T00:00:00Z\",\"valid_until\":\"2030-12-31T00:00:00Z\"}}" >/dev/null
echo "# The public checks a card without a token:"
grpcurl -plaintext -d '{"number":"HLJ-230183-0001"}' "$ADDR" $P/VerifyCredential
sleep 3
echo "# One qualified officer is not enough (Art. 18: at least two):"
call $R/CheckActors "{\"body\":\"$DEPT\",\"power\":\"$POWER\",\"act_time\":\"$(date -u -d "+2 seconds" +%Y-%m-%dT%H:%M:%SZ)\",\"officers\":[\"$A\"]}"
echo "# A mistake names every bad field:"
call $R/CreateBody '{"body":{"display_name":"","kind":"BODY_KIND_DEPARTMENT","region_code":"23"}}' || true
echo "# Intake records the act anyway, with what it breaks (Art. 16, 18):"
call probity.intake.v1.IntakeService/SubmitFact "{\"fact\":{\"body\":\"$DEPT\",\"source_id\":\"JC-2026-0001\",\"inspection\":{\"power\":\"$POWER\",\"officers\":[\"$A\"],\"target\":\"party-0001\",\"inspect_time\":\"$(date -u -d "+2 seconds" +%Y-%m-%dT%H:%M:%SZ)\"}}}"
AT=$(date -u -d "+2 seconds" +%Y-%m-%dT%H:%M:%SZ)
INSPECTION="{\"power\":\"$POWER\",\"officers\":[\"$A\"],\"target\":\"party-0002\",\"inspect_time\":\"$AT\"}"
FACT=$(call probity.intake.v1.IntakeService/SubmitFact "{\"fact\":{\"body\":\"$DEPT\",\"source_id\":\"JC-2026-0002\",\"inspection\":$INSPECTION}}" | field '["name"]')
echo "# The department 'finds' the video and corrects the fact: the finding is"
echo "# superseded, not gone; it stays in force until the legal-affairs office rules:"
DEPT_TOKEN=$($PROBITY token issue --role department --body "$DEPT" --subject dept-clerk-1)
RECORDED=$(python3 -c "import json,sys; d=json.loads(sys.argv[1]); d['records']=[{'kind':'RECORD_KIND_VIDEO','content_sha256':'ab'*32,'archive_ref':'archive://2026/0002'}]; print(json.dumps(d))" "$INSPECTION")
grpcurl -plaintext -H "authorization: Bearer $DEPT_TOKEN" -d "{\"fact\":{\"body\":\"$DEPT\",\"source_id\":\"JC-2026-0002\",\"inspection\":$RECORDED},\"correction_reason\":\"the video was found\"}" \
    "$ADDR" probity.intake.v1.IntakeService/SubmitFact
echo "# The department cannot clear it (FINDING_CLEARANCE_OFFICE_ONLY); the office can, with a reason:"
grpcurl -plaintext -H "authorization: Bearer $DEPT_TOKEN" -d "{\"name\":\"$FACT/findings/1-1\",\"reason\":\"corrected\"}" \
    "$ADDR" probity.intake.v1.IntakeService/ClearFinding || true
call probity.intake.v1.IntakeService/ClearFinding "{\"name\":\"$FACT/findings/1-1\",\"reason\":\"the recording existed; the upload failed\"}"
echo "# The audit chains hold:"
AUDIT=$($PROBITY token issue --role auditor --subject auditor-1)
for s in registry intake; do
    grpcurl -plaintext -H "authorization: Bearer $AUDIT" -d "{\"service\":\"$s\"}" "$ADDR" probity.audit.v1.AuditService/VerifyAuditChain
done
