#!/usr/bin/env bash
# Intake benchmark: bulk and unary ingestion of realistic facts (with the
# registry checks), side by side with baselines measured in the same run on
# the same PostgreSQL server:
#   - bulk: `probity` SubmitFacts streams vs a raw `COPY ... (FORMAT binary)`
#     of the very rows intake wrote, back into the same (emptied) tables;
#   - unary: SubmitFact at concurrency 1, 8 and 32 vs pgbench's single-row
#     INSERT (one transaction per row) at the same concurrency, and vs
#     pgbench running intake's own writes for one fact as one prepared
#     statement (bench/sql/intake-fact.sql: PostgreSQL's share alone, the
#     floor under any intake), on one chain and on a chain per client;
#     At one client it also times a bare tonic server's round trip
#     (bench's echo-server): nothing can be batched for one client, so a
#     durable gRPC call takes at least that plus one INSERT, which bounds
#     what any gRPC service can reach at c=1;
#   - SQLite bulk: the embedded default, rows/s.
#
#   scripts/bench-intake.sh
#
# Knobs (environment): BENCH_RECORDS (100000 facts per bulk run), BENCH_STREAMS
# (4), BENCH_UNARY_SECONDS (8), BENCH_OFFICERS (200), BENCH_ROUNDS (2 rounds of
# pgbench/intake per concurrency), BENCH_PG (admin URL,
# postgres://postgres@127.0.0.1:5432/postgres), BENCH_NO_BUILD=1, BENCH_KEEP=1.
# No CPU pinning: PostgreSQL, probity and the client share the machine's cores
# in every measurement and in every baseline alike.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
RECORDS=${BENCH_RECORDS:-100000}
STREAMS=${BENCH_STREAMS:-4}
UNARY_SECONDS=${BENCH_UNARY_SECONDS:-8}
OFFICERS=${BENCH_OFFICERS:-200}
ROUNDS=${BENCH_ROUNDS:-2}
PG_ADMIN=${BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}

if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    echo "== building (release) ==" >&2
    cargo build --release -p probity -p probity-bench >&2
fi
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release
for b in probity load intake-load echo-server; do
    [[ -x $BIN/$b ]] || { echo "missing $BIN/$b: build first" >&2; exit 1; }
done
command -v pgbench >/dev/null || { echo "pgbench is needed (postgresql-contrib / postgresql client)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/probity-bench-intake.XXXXXX)
# An issuer's key pair: development keys are refused beside PostgreSQL, so
# the servers verify with the public key and `token issue` signs with the
# private one.
PROBITY__AUTH__DEV_KEYS=false "$BIN/probity" token keygen --private "$WORK/issuer.pem" --public "$WORK/issuer.pub.pem" 2>/dev/null
export PROBITY__AUTH__DEV_KEYS=false PROBITY__AUTH__SIGNING_KEY_FILE=$WORK/issuer.pem PROBITY__AUTH__PUBLIC_KEY_FILES=$WORK/issuer.pub.pem
DB=probity_bench_$$_$RANDOM
PG_URL=${PG_ADMIN%/*}/$DB
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
psql "$PG_ADMIN" -qc "CREATE DATABASE $DB" >/dev/null

now_ns() { date +%s%N; }

# start_probity NAME [DATABASE_URL]: serve --target all, seed, issue a token.
start_probity() {
    local name=$1 url=${2:-} port
    port=$("$BIN/load" free-port)
    mkdir -p "$WORK/$name"
    (
        export PROBITY__SERVER__LISTEN=127.0.0.1:$port PROBITY__DATABASE__DATA_DIR=$WORK/$name
        export PROBITY__TELEMETRY__LEVEL=warn PROBITY__DATABASE__URL=$url
        exec "$BIN/probity" serve --target all >"$WORK/$name.log" 2>&1
    ) &
    PIDS+=("$!")
    "$BIN/load" wait --addr "127.0.0.1:$port" || { cat "$WORK/$name.log" >&2; exit 1; }
    ADDR=127.0.0.1:$port
    PROBITY_BENCH_TOKEN=$(PROBITY__DATABASE__DATA_DIR=$WORK/$name "$BIN/probity" token issue --role legal_office --ttl 2h)
    export PROBITY_BENCH_TOKEN
    echo "== $name: probity on $ADDR; seeding $OFFICERS officers ==" >&2
    "$BIN/load" seed --addr "$ADDR" --officers "$OFFICERS" --out "$WORK/$name-seed.json" >&2
}

json() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1])/float(sys.argv[2]):.2f}')" "$1" "$2"; }
fmt() { python3 -c "import sys; print(f'{float(sys.argv[1]):,.0f}')" "$1"; }

TABLES=(intake_facts intake_revisions intake_fact_officers intake_findings)

# ---- PostgreSQL bulk vs COPY ----
start_probity pg "$PG_URL"
echo "== bulk: $RECORDS facts over $STREAMS streams ==" >&2
BULK=$("$BIN/intake-load" stream --addr "$ADDR" --seed "$WORK/pg-seed.json" --records "$RECORDS" --streams "$STREAMS" --prefix S)
BULK_S=$(json "$BULK" seconds)
[[ $(json "$BULK" refused) == 0 ]] || { echo "records were refused: $BULK" >&2; exit 1; }
ROWS=0
for t in "${TABLES[@]}"; do
    n=$(psql "$PG_URL" -tAc "SELECT COUNT(*) FROM $t")
    ROWS=$((ROWS + n))
    psql "$PG_URL" -qc "\\copy $t TO '$WORK/$t.bin' WITH (FORMAT binary)"
done
echo "== COPY (FORMAT binary) of the same $ROWS rows into the same tables ==" >&2
psql "$PG_URL" -qc "TRUNCATE $(IFS=,; echo "${TABLES[*]}")" >/dev/null
COPY_SQL=""
for t in "${TABLES[@]}"; do COPY_SQL+="\\copy $t FROM '$WORK/$t.bin' WITH (FORMAT binary)"$'\n'; done
t0=$(now_ns)
psql "$PG_URL" -q -v ON_ERROR_STOP=1 <<<"$COPY_SQL"
COPY_S=$(python3 -c "print(($(now_ns) - $t0) / 1e9)")

# ---- PostgreSQL unary vs pgbench single-row INSERT ----
psql "$PG_URL" -qc "CREATE TABLE pgbench_facts (id bigserial PRIMARY KEY, body text NOT NULL,
    source_id text NOT NULL, payload bytea NOT NULL, recorded_us bigint NOT NULL, UNIQUE (body, source_id))"
cat >"$WORK/insert.sql" <<'SQL'
INSERT INTO pgbench_facts (body, source_id, payload, recorded_us)
VALUES ('b1', md5(random()::text || clock_timestamp()::text), '\x0a0b0c0d', 1);
SQL
# Intake's own tables, empty, for the floor: made by probity's migrations.
FLOOR_DB=${DB}_floor
FLOOR_URL=${PG_ADMIN%/*}/$FLOOR_DB
psql "$PG_ADMIN" -qc "CREATE DATABASE $FLOOR_DB" >/dev/null
mkdir -p "$WORK/floor"
PROBITY__DATABASE__URL=$FLOOR_URL PROBITY__DATABASE__DATA_DIR=$WORK/floor "$BIN/probity" migrate >&2
# Head rows for a chain per client (row 1 is the service's own).
psql "$FLOOR_URL" -qc "INSERT INTO intake_audit_head (id, seq, hash, mac)
    SELECT g, 0, '', '' FROM generate_series(1, 40) g ON CONFLICT (id) DO NOTHING"
trap 'psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $FLOOR_DB" >/dev/null 2>&1 || true; cleanup' EXIT
pgb() { # pgb CLIENTS PGBENCH-ARGS...: tps
    local c=$1 j=$(($1 < 2 ? $1 : 2))
    shift
    pgbench -n -c "$c" -j "$j" -T "$UNARY_SECONDS" "$@" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1
}
declare -A PGB INT FLOOR1 FLOORN
ECHO_PORT=$("$BIN/load" free-port)
"$BIN/echo-server" --listen "127.0.0.1:$ECHO_PORT" 2>/dev/null &
ECHO_PID=$!
PIDS+=("$ECHO_PID")
"$BIN/load" wait --addr "127.0.0.1:$ECHO_PORT"
ECHO1=""
for c in 1 8 32; do
    for ((r = 1; r <= ROUNDS; r++)); do
        echo "== unary c=$c round $r: pgbench INSERT, pgbench intake-fact (one chain, own chains), then intake ==" >&2
        PGB[$c]="${PGB[$c]:-} $(pgb "$c" -f "$WORK/insert.sql" "$PG_URL")"
        FLOOR1[$c]="${FLOOR1[$c]:-} $(pgb "$c" -M prepared -D own=0 -f "$ROOT/bench/sql/intake-fact.sql" "$FLOOR_URL")"
        FLOORN[$c]="${FLOORN[$c]:-} $(pgb "$c" -M prepared -D own=1 -f "$ROOT/bench/sql/intake-fact.sql" "$FLOOR_URL")"
        u=$("$BIN/intake-load" unary --addr "$ADDR" --seed "$WORK/pg-seed.json" --concurrency "$c" \
            --duration "$UNARY_SECONDS" --prefix "U$c-$r-")
        INT[$c]="${INT[$c]:-} $(json "$u" facts_per_s)"
        if [[ $c == 1 ]]; then
            "$BIN/load" run --target echo --addr "127.0.0.1:$ECHO_PORT" --server-pid "$ECHO_PID" \
                --concurrency 1 --connections 1 --warmup 1 --duration "$UNARY_SECONDS" \
                --open-duration 0 --out "$WORK/echo1-$r.json" >/dev/null 2>&1
            ECHO1="$ECHO1 $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['closed']['rps'])" "$WORK/echo1-$r.json")"
        fi
    done
done

# ---- SQLite bulk ----
start_probity sqlite ""
echo "== SQLite bulk: $RECORDS facts over $STREAMS streams ==" >&2
SQ=$("$BIN/intake-load" stream --addr "$ADDR" --seed "$WORK/sqlite-seed.json" --records "$RECORDS" --streams "$STREAMS" --prefix S)
SQ_ROWS=$(python3 - "$WORK/sqlite/intake.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(sum(c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
          for t in ("intake_facts", "intake_revisions", "intake_fact_officers", "intake_findings")))
PY
)
SQ_S=$(json "$SQ" seconds)

median() { python3 -c "import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git status --porcelain -- src services proto Cargo.toml Cargo.lock 2>/dev/null) ]] || REV="$REV plus uncommitted changes"
echo
echo "Machine: $(nproc) cores, $(uname -sr), PostgreSQL $(psql "$PG_ADMIN" -tAc 'SHOW server_version'); $(date -u +%Y-%m-%dT%H:%MZ); probity at $REV"
echo
echo "Command: scripts/bench-intake.sh ($RECORDS facts, $STREAMS streams, $OFFICERS officers, unary ${UNARY_SECONDS}s x $ROUNDS rounds)"
echo
echo "| measurement | probity | baseline | ratio | goal |"
echo "| --- | --- | --- | --- | --- |"
echo "| PostgreSQL bulk, rows/s ($ROWS rows in 4 tables, $RECORDS facts) | $(fmt "$(python3 -c "print($ROWS/$BULK_S)")") | COPY binary $(fmt "$(python3 -c "print($ROWS/$COPY_S)")") | $(ratio "$COPY_S" "$BULK_S") | >= 0.5 |"
for c in 1 8 32; do
    i=$(median ${INT[$c]}) p=$(median ${PGB[$c]})
    echo "| PostgreSQL unary c=$c, facts/s (median of $ROUNDS) | $(fmt "$i") | pgbench INSERT $(fmt "$p") tps | $(ratio "$i" "$p") | >= 0.8 |"
done
echo "| SQLite bulk, rows/s ($SQ_ROWS rows, $RECORDS facts) | $(fmt "$(python3 -c "print($SQ_ROWS/$SQ_S)")") | - | - | >= 100,000 |"
echo "| SQLite bulk, facts/s | $(fmt "$(json "$SQ" facts_per_s)") | - | - | |"
echo
echo "The floor under unary: PostgreSQL running intake's writes for one fact (bench/sql/intake-fact.sql, pgbench -M prepared), tps, and as a share of pgbench INSERT:"
echo
echo "| clients | pgbench INSERT | intake-fact, one chain | ÷ INSERT | intake-fact, a chain per client | ÷ INSERT | intake unary | ÷ best floor |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for c in 1 8 32; do
    i=$(median ${INT[$c]}) p=$(median ${PGB[$c]}) f1=$(median ${FLOOR1[$c]}) fn=$(median ${FLOORN[$c]})
    best=$(python3 -c "print(max($f1, $fn))")
    echo "| $c | $(fmt "$p") | $(fmt "$f1") | $(ratio "$f1" "$p") | $(fmt "$fn") | $(ratio "$fn" "$p") | $(fmt "$i") | $(ratio "$i" "$best") |"
done
E1=$(median $ECHO1) P1=$(median ${PGB[1]})
BOUND1=$(python3 -c "print(1 / (1 / $E1 + 1 / $P1))")
echo
echo "At one client nothing can be batched: a durable call is at least a bare tonic round trip (echo-server, one client: $(fmt "$E1") calls/s) plus one INSERT ($(fmt "$P1") tps), so no gRPC service writing even one row per call can pass $(fmt "$BOUND1")/s, $(ratio "$BOUND1" "$P1") of pgbench INSERT (intake: $(ratio "$(median ${INT[1]})" "$P1"))."
echo
echo "Bulk facts/s on PostgreSQL: $(fmt "$(json "$BULK" facts_per_s)"); COPY took ${COPY_S}s, intake ${BULK_S}s."
