#!/usr/bin/env bash
# Where a unary submission's CPU goes: intake's SubmitFact at concurrency C,
# then pgbench's single-row INSERT at the same concurrency (the unary
# baseline of scripts/bench-intake.sh), two rounds each, printing CPU
# microseconds per fact / per INSERT for the client, probity and the rest of
# the machine (PostgreSQL), and how much of the 2 cores sat idle.
#
#   C=8 scripts/unary-cpu.sh        (knobs: C, SECS (8), BENCH_PG)
#
# Release binaries from CARGO_TARGET_DIR (build as bench-intake.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${CARGO_TARGET_DIR:-$(pwd)/target}/release
C=${C:-8}; SECS=${SECS:-8}
PG_ADMIN=${BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
CORES=$(nproc)
DB=cpu_$$; WORK=$(mktemp -d)
psql "$PG_ADMIN" -qc "CREATE DATABASE $DB"
trap 'kill $PP 2>/dev/null; wait $PP 2>/dev/null; psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"; rm -rf $WORK' EXIT
# An issuer's key pair: development keys are refused beside PostgreSQL, so
# the servers verify with the public key and `token issue` signs with the
# private one.
PROBITY__AUTH__DEV_KEYS=false "$BIN/probity" token keygen --private "$WORK/issuer.pem" --public "$WORK/issuer.pub.pem" 2>/dev/null
export PROBITY__AUTH__DEV_KEYS=false PROBITY__AUTH__SIGNING_KEY_FILE=$WORK/issuer.pem PROBITY__AUTH__PUBLIC_KEY_FILES=$WORK/issuer.pub.pem
port=$($BIN/load free-port)
PROBITY__SERVER__LISTEN=127.0.0.1:$port PROBITY__DATABASE__DATA_DIR=$WORK PROBITY__TELEMETRY__LEVEL=warn PROBITY__DATABASE__URL=${PG_ADMIN%/*}/$DB $BIN/probity serve --target all >$WORK/log 2>&1 &
PP=$!
$BIN/load wait --addr 127.0.0.1:$port
export PROBITY_BENCH_TOKEN=$(PROBITY__DATABASE__DATA_DIR=$WORK $BIN/probity token issue --role legal_office --ttl 2h)
$BIN/load seed --addr 127.0.0.1:$port --officers 200 --out $WORK/seed.json >/dev/null 2>&1
cpu_of() { # pids -> total ticks
  local t=0; for p in "$@"; do [[ -r /proc/$p/stat ]] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
idle() { awk '/^cpu /{print $5+$6}' /proc/stat; }
# warm up: the first calls fill the registry answers' cache
$BIN/intake-load unary --addr 127.0.0.1:$port --seed $WORK/seed.json --concurrency $C --duration 2 --prefix W >/dev/null
measure() { # LABEL COMMAND...: the command's rate and everyone's CPU per op
  local label=$1; shift
  local p0 i0 t0 el
  p0=$(cpu_of "$PP"); i0=$(idle); t0=$(date +%s%N)
  /usr/bin/time -f "%U %S" -o "$WORK/t" "$@" >"$WORK/out" 2>/dev/null
  el=$(($(date +%s%N) - t0))
  python3 - "$label" "$p0" "$(cpu_of "$PP")" "$i0" "$(idle)" "$el" "$WORK/out" "$WORK/t" "$CORES" <<'PY'
import json, re, sys
label, p0, p1, i0, i1, el, out, t, cores = sys.argv[1:]
txt = open(out).read()
m = re.search(r'tps = ([0-9.]+)', txt)
rate = float(m.group(1)) if m else json.loads(txt)['facts_per_s']
ops = rate * int(el) / 1e9
tick_us = lambda ticks: ticks * 1e4 / ops  # USER_HZ = 100
client = sum(map(float, open(t).read().split()[-2:])) * 1e6 / ops
busy = int(cores) * int(el) / 1e3 / ops - tick_us(int(i1) - int(i0))
prob = tick_us(int(p1) - int(p0))
print(f"{label}: {rate:,.0f}/s | CPU us per op: all {busy:.0f} = client {client:.0f} + probity {prob:.0f}"
      f" + rest (PostgreSQL) {busy - client - prob:.0f} | cores busy {busy * rate / 1e6:.2f}")
PY
}
psql ${PG_ADMIN%/*}/$DB -qc "CREATE TABLE pgbench_facts (id bigserial PRIMARY KEY, body text NOT NULL, source_id text NOT NULL, payload bytea NOT NULL, recorded_us bigint NOT NULL, UNIQUE (body, source_id))"
cat >$WORK/insert.sql <<'SQL'
INSERT INTO pgbench_facts (body, source_id, payload, recorded_us)
VALUES ('b1', md5(random()::text || clock_timestamp()::text), '\x0a0b0c0d', 1);
SQL
for round in 1 2; do
  measure "intake c=$C" $BIN/intake-load unary --addr 127.0.0.1:$port --seed $WORK/seed.json --concurrency $C --duration $SECS --prefix R$round-
  measure "pgbench INSERT c=$C" pgbench -n -c $C -j $(( C<2?C:2 )) -T $SECS -f $WORK/insert.sql ${PG_ADMIN%/*}/$DB
done
