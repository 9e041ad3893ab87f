#!/usr/bin/env bash
# Registry benchmark: VerifyCredential and CheckActors on `probity serve`
# side by side with a bare tonic server (`echo-server`), measured in one run.
#
#   scripts/bench-registry.sh
#
# Builds in release, starts both servers on free 127.0.0.1 ports, seeds the
# registry through its gRPC API, runs `load` against each target and prints a
# Markdown table with ratios to the echo server, then stops the servers.
#
# Knobs (environment): BENCH_ROUNDS (3 rounds of verify, echo, check),
# BENCH_OFFICERS (500), BENCH_CONCURRENCY (64), BENCH_CONNECTIONS (4),
# BENCH_WARMUP (1 s), BENCH_DURATION (6 s closed loop), BENCH_OPEN_DURATION
# (5 s open loop at half saturation), BENCH_NO_BUILD=1 to skip the build,
# BENCH_KEEP=1 to keep the temporary directory, BENCH_TARGET (registry: the
# role as Kubernetes runs it; `all` for every service in one process). About
# 2 minutes after the build.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)

OFFICERS=${BENCH_OFFICERS:-500}
CONCURRENCY=${BENCH_CONCURRENCY:-64}
CONNECTIONS=${BENCH_CONNECTIONS:-4}
WARMUP=${BENCH_WARMUP:-1}
DURATION=${BENCH_DURATION:-6}
OPEN_DURATION=${BENCH_OPEN_DURATION:-5}
ROUNDS=${BENCH_ROUNDS:-3}
TARGET=${BENCH_TARGET:-registry}

if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    echo "== building (release) ==" >&2
    cargo build --release -p probity -p probity-bench >&2
fi
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release
for b in probity echo-server load; do
    [[ -x $BIN/$b ]] || { echo "missing $BIN/$b: build first" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/probity-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
        echo "kept $WORK" >&2
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

# Server on core 0, client on core 1, when we can.
CORES=$(nproc 2>/dev/null || echo 1)
if command -v taskset >/dev/null 2>&1 && [[ $CORES -ge 2 ]]; then
    SERVER_PIN=(taskset -c 0)
    CLIENT_PIN=(taskset -c 1)
    PIN_NOTE="servers pinned to CPU 0 and the load generator to CPU 1 with taskset ($CORES cores)"
else
    SERVER_PIN=()
    CLIENT_PIN=()
    PIN_NOTE="no CPU pinning (taskset missing or fewer than 2 cores): client and servers share $CORES core(s)"
fi
echo "== $PIN_NOTE ==" >&2

LOAD=("${CLIENT_PIN[@]}" "$BIN/load")

ECHO_PORT=$("$BIN/load" free-port)
"${SERVER_PIN[@]}" "$BIN/echo-server" --listen "127.0.0.1:$ECHO_PORT" 2>"$WORK/echo.log" &
ECHO_PID=$!
PIDS+=("$ECHO_PID")

REG_PORT=$("$BIN/load" free-port)
while [[ $REG_PORT == "$ECHO_PORT" ]]; do REG_PORT=$("$BIN/load" free-port); done
export PROBITY__SERVER__LISTEN=127.0.0.1:$REG_PORT
export PROBITY__DATABASE__DATA_DIR=$WORK/data
export PROBITY__TELEMETRY__LEVEL=warn
# The load generator is one address: the public methods' limit per address
# (server.public_rate_limit) would be measured instead of VerifyCredential.
export PROBITY__SERVER__PUBLIC_RATE_LIMIT__BURST=1000000000
export PROBITY__SERVER__PUBLIC_RATE_LIMIT__PER_MINUTE=4000000000
mkdir -p "$WORK/data"
"${SERVER_PIN[@]}" "$BIN/probity" serve --target "$TARGET" >"$WORK/probity.log" 2>&1 &
REG_PID=$!
PIDS+=("$REG_PID")

"$BIN/load" wait --addr "127.0.0.1:$ECHO_PORT"
"$BIN/load" wait --addr "127.0.0.1:$REG_PORT" || { cat "$WORK/probity.log" >&2; exit 1; }
echo "== echo-server pid $ECHO_PID on :$ECHO_PORT; probity serve pid $REG_PID on :$REG_PORT (SQLite in $WORK/data) ==" >&2

PROBITY_BENCH_TOKEN=$("$BIN/probity" token issue --role legal_office --ttl 1h)
export PROBITY_BENCH_TOKEN

echo "== seeding $OFFICERS officers with credentials ==" >&2
"${LOAD[@]}" seed --addr "127.0.0.1:$REG_PORT" --officers "$OFFICERS" --out "$WORK/seed.json"

COMMON=(--concurrency "$CONCURRENCY" --connections "$CONNECTIONS" --warmup "$WARMUP"
    --duration "$DURATION" --open-duration "$OPEN_DURATION" --seed "$WORK/seed.json"
    --note "$PIN_NOTE")

run_target() { # target round [extra args]
    local t=$1 r=$2 addr=$REG_PORT pid=$REG_PID
    shift 2
    if [[ $t == echo ]]; then addr=$ECHO_PORT pid=$ECHO_PID; fi
    echo "== round $r: $t ==" >&2
    "${LOAD[@]}" run --target "$t" --round "$r" --addr "127.0.0.1:$addr" --server-pid "$pid" \
        "${COMMON[@]}" --out "$WORK/$t-$r.json" "$@"
    RESULTS+=("$WORK/$t-$r.json")
}

# Rounds of verify, echo, check, so that a noisy spell hits all three; the
# report takes ratios within a round. The echo server's open loop runs at
# VerifyCredential's half-saturation rate: half of the echo server's own
# saturation is more than one core of open-loop client can start on time.
RESULTS=()
for ((r = 1; r <= ROUNDS; r++)); do
    run_target verify "$r"
    run_target echo "$r" --open-rate-from "$WORK/verify-$r.json"
    run_target check "$r"
done

echo
REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain -- src services proto Cargo.toml Cargo.lock 2>/dev/null) ]]; then
    REV="$REV plus uncommitted changes"
fi
echo "Machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%dT%H:%MZ); probity at $REV"
echo
echo "Command: scripts/bench-registry.sh (officers $OFFICERS, $ROUNDS rounds of: ${WARMUP}s warm-up, ${DURATION}s closed loop, ${OPEN_DURATION}s open loop)"
echo
"$BIN/load" report "${RESULTS[@]}"
