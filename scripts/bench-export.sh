#!/usr/bin/env bash
# The rankings job's extraction from PostgreSQL (issue 21): intake's
# ExportFactColumns (Arrow record batches) beside a binary COPY of the same
# rows out of the same database, in the same run, A B A B.
#
#   scripts/bench-export.sh
#
# 1. `probity serve --target all` (release) on a fresh PostgreSQL database;
#    `load seed` (a department, 200 officers); BENCH_LOAD facts streamed into
#    intake (`intake-load stream`, 4 streams), then VACUUM ANALYZE;
# 2. BENCH_ROUNDS rounds of
#    A: `intake-load export`: the year through ExportFactColumns, every
#       message's three Arrow IPC streams read into DataFrames and made into
#       the job's rows (fact_columns::frames), as the job does;
#    B: `psql -c "COPY (SELECT ...) TO STDOUT (FORMAT binary)" >/dev/null`:
#       the same facts (id, kind, body, source id, voided, time, the current
#       revision's payload) and their findings, in the same order;
# 3. once: `intake-load export --into DIR`, the job's input Parquet written
#    as the job writes it (the job's own extract stage without the registry);
# 4. with BENCH_RUN=1, `probity rankings run` timed by stage (its manifest).
#
# Knobs: BENCH_LOAD (1000000), BENCH_COPIES (1), BENCH_ROUNDS (2), BENCH_RUN (0), BENCH_PG
# (admin URL), BENCH_DB (a database to use and keep: seeded only when it has
# no facts; reuse it for large loads), BENCH_NO_BUILD=1,
# CARGO_TARGET_DIR (/var/tmp/probity-release-target).
set -euo pipefail
cd "$(dirname "$0")/.."
LOAD=${BENCH_LOAD:-1000000}
ROUNDS=${BENCH_ROUNDS:-2}
PG_ADMIN=${BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/probity-release-target}
BIN=$CARGO_TARGET_DIR/release

if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
    echo "== building (release) ==" >&2
    cargo build --release -p probity -p probity-bench >&2
fi

WORK=$(mktemp -d /var/tmp/probity-bench-export.XXXXXX)
PROBITY__AUTH__DEV_KEYS=false "$BIN/probity" token keygen --private "$WORK/issuer.pem" --public "$WORK/issuer.pub.pem" 2>/dev/null
export PROBITY__AUTH__DEV_KEYS=false PROBITY__AUTH__SIGNING_KEY_FILE=$WORK/issuer.pem PROBITY__AUTH__PUBLIC_KEY_FILES=$WORK/issuer.pub.pem
KEEP_DB=${BENCH_DB:+1}
DB=${BENCH_DB:-probity_bench_export_$$_$RANDOM}
PG_URL=${PG_ADMIN%/*}/$DB
PID=
cleanup() {
    [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    [[ -n $KEEP_DB ]] || psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
psql "$PG_ADMIN" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 ||
    psql "$PG_ADMIN" -qc "CREATE DATABASE $DB" >/dev/null
port=$("$BIN/load" free-port)
# a kept database keeps its data directory (its keys) between runs
DATA=$WORK
if [[ -n $KEEP_DB ]]; then
    DATA=/var/tmp/probity-bench-export-$DB
    mkdir -p "$DATA"
    cp -n "$WORK"/issuer*.pem "$DATA"/ 2>/dev/null || true
    export PROBITY__AUTH__SIGNING_KEY_FILE=$DATA/issuer.pem PROBITY__AUTH__PUBLIC_KEY_FILES=$DATA/issuer.pub.pem
fi
export PROBITY__SERVER__LISTEN=127.0.0.1:$port PROBITY__DATABASE__DATA_DIR=$DATA
export PROBITY__TELEMETRY__LEVEL=warn PROBITY__DATABASE__URL=$PG_URL
"$BIN/probity" serve --target all >"$WORK/serve.log" 2>&1 &
PID=$!
"$BIN/load" wait --addr "127.0.0.1:$port" || { cat "$WORK/serve.log" >&2; exit 1; }
PROBITY_BENCH_TOKEN=$("$BIN/probity" token issue --role legal_office --ttl 4h)
export PROBITY_BENCH_TOKEN
have=$(psql "$PG_URL" -qtAc "SELECT COUNT(*) FROM intake_facts")
if [[ $have -eq 0 ]]; then
    echo "== seeding 200 officers; streaming $LOAD facts into intake ==" >&2
    "$BIN/load" seed --addr "127.0.0.1:$port" --officers 200 --out "$WORK/seed.json" >&2
    "$BIN/intake-load" stream --addr "127.0.0.1:$port" --seed "$WORK/seed.json" --records "$LOAD" --streams 4 --prefix X >&2
    # BENCH_COPIES > 1: the facts streamed, copied in SQL under new ids and
    # source ids (payloads as they are: a copy's references still name the
    # first copy's source ids), to reach tens of millions quickly
    COPIES=${BENCH_COPIES:-1}
    if [[ $COPIES -gt 1 ]]; then
        echo "== copying the $LOAD facts $((COPIES - 1)) times in SQL ==" >&2
        top=$(psql "$PG_URL" -qtAc "SELECT MAX(id) FROM intake_facts")
        psql "$PG_URL" -q -v ON_ERROR_STOP=1 <<SQL >&2
INSERT INTO intake_facts (id, body, body_path, source_id, kind, revision, voided, occurred_us, recorded_us, refers_to)
  SELECT id + k * $top, body, body_path, source_id || '~' || k, kind, revision, voided, occurred_us, recorded_us,
         CASE WHEN refers_to = '' THEN '' ELSE refers_to || '~' || k END
  FROM intake_facts, generate_series(1, $COPIES - 1) k WHERE id <= $top;
INSERT INTO intake_revisions (fact_id, revision, kind, body, payload, digest, reason, voided, actor, role, occurred_us, recorded_us, audit_seq)
  SELECT fact_id + k * $top, revision, kind, body, payload, digest, reason, voided, actor, role, occurred_us, recorded_us, audit_seq
  FROM intake_revisions, generate_series(1, $COPIES - 1) k WHERE fact_id <= $top;
INSERT INTO intake_fact_officers (fact_id, revision, officer, occurred_us)
  SELECT fact_id + k * $top, revision, officer, occurred_us
  FROM intake_fact_officers, generate_series(1, $COPIES - 1) k WHERE fact_id <= $top;
INSERT INTO intake_findings (fact_id, revision, seq, rule, article, officer, detail, body, kind, occurred_us, state, superseded_by, ruled_by, ruling_reason, ruled_us)
  SELECT fact_id + k * $top, revision, seq, rule, article, officer, detail, body, kind, occurred_us, state, superseded_by, ruled_by, ruling_reason, ruled_us
  FROM intake_findings, generate_series(1, $COPIES - 1) k WHERE fact_id <= $top;
SQL
    fi
else
    echo "== $DB already holds $have facts ==" >&2
fi
psql "$PG_URL" -qc "VACUUM ANALYZE" >/dev/null
year=$(python3 -c "import datetime; print((datetime.datetime.utcnow() + datetime.timedelta(hours=8) - datetime.timedelta(days=30)).year)")
# the year's bounds in the city's time (UTC+8), as intake computes them
read -r from until < <(python3 -c "
import datetime as d
z = d.timezone(d.timedelta(hours=8))
us = lambda y: int(d.datetime(y, 1, 1, tzinfo=z).timestamp()) * 1000000
print(us($year), us($year + 1))")
WHERE="f.occurred_us >= $from AND f.occurred_us < $until"
COPY_FACTS="COPY (SELECT f.id, f.kind, f.body, f.source_id, f.voided, f.occurred_us, r.payload FROM intake_facts f JOIN intake_revisions r ON r.fact_id = f.id AND r.revision = f.revision WHERE $WHERE ORDER BY f.id) TO STDOUT (FORMAT binary)"
COPY_FINDINGS="COPY (SELECT x.fact_id, x.rule, x.officer, x.state FROM intake_findings x JOIN intake_facts f ON f.id = x.fact_id WHERE $WHERE ORDER BY x.fact_id, x.revision, x.seq) TO STDOUT (FORMAT binary)"
facts=$(psql "$PG_URL" -qtAc "SELECT COUNT(*) FROM intake_facts f WHERE $WHERE")
echo "== year $year: $facts facts; load average $(cut -d' ' -f1-3 /proc/loadavg) ==" >&2

copy_out() {
    local t0 t1
    t0=$(date +%s%N)
    psql "$PG_URL" -qc "$COPY_FACTS" >/dev/null
    psql "$PG_URL" -qc "$COPY_FINDINGS" >/dev/null
    t1=$(date +%s%N)
    python3 -c "s = ($t1 - $t0) / 1e9; print(f'{{\"mode\": \"copy\", \"facts\": $facts, \"seconds\": {s:.3f}, \"facts_per_s\": {$facts / s:.0f}}}')"
}

results=()
for r in $(seq 1 "$ROUNDS"); do
    echo "== round $r: A ExportFactColumns, B COPY binary ==" >&2
    a=$("$BIN/intake-load" export --addr "127.0.0.1:$port" --year "$year")
    echo "A $a"
    b=$(copy_out)
    echo "B $b"
    results+=("$a|$b")
done
echo "== the job's input Parquet through ExportFactColumns ==" >&2
mkdir -p "$WORK/parquet"
p=$(/usr/bin/time -f '%M' -o "$WORK/rss" "$BIN/intake-load" export --addr "127.0.0.1:$port" --year "$year" --into "$WORK/parquet")
echo "Parquet $p (client peak RSS $(($(cat "$WORK/rss") / 1024)) MiB; $(du -sh "$WORK/parquet" | cut -f1))"
python3 - "${results[@]}" <<'EOF'
import json, statistics, sys
ratios = []
for r in sys.argv[1:]:
    a, b = (json.loads(x) for x in r.split("|"))
    ratios.append(a["facts_per_s"] / b["facts_per_s"])
    print(f"export {a['facts_per_s']:,.0f} facts/s ({a['seconds']:.2f} s), COPY {b['facts_per_s']:,.0f} facts/s ({b['seconds']:.2f} s): {ratios[-1]:.2f}")
print(f"median export / COPY: {statistics.median(ratios):.2f}")
EOF
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

if [[ ${BENCH_RUN:-0} == 1 ]]; then
    echo "== probity rankings run --year $year (from PostgreSQL, by stage) ==" >&2
    /usr/bin/time -f '%e s, %M KiB peak' -o "$WORK/run.time" \
        "$BIN/probity" rankings run --year "$year" --out "$WORK/run" --quiet
    echo "rankings run: $(cat "$WORK/run.time")"
    python3 - "$WORK/run" <<'EOF'
import json, pathlib, sys
m = next(pathlib.Path(sys.argv[1]).rglob("manifest.json"))
for name, s in json.loads(m.read_text()).get("timings", []):
    print(f"  {name}: {s:.2f} s")
EOF
fi
