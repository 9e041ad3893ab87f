#!/usr/bin/env bash
# Rankings benchmark (issue 5), two parts:
#  1. the job's computation from Parquet on BENCH_FACTS (10 million) facts of
#     the synthetic city's year (probity-city written straight to the job's
#     input: its departments and towns, officers and auxiliaries, every kind
#     of fact, the planted patterns and their findings; BENCH_OFFICERS people)
#     beside DuckDB computing the same indicators from the same files with the
#     same thread count, in the same run: scripts/ab.py pairs them A B A B and
#     prints time and peak-memory ratios. Before timing, every count of every
#     officer and assessed unit is checked equal between the two, on that
#     year and on the small edge-case year (rankings-bench edge-year). BENCH_SOURCE=uniform uses the
#     older uniform year instead (rankings-bench generate without --from-city).
#  2. a full run from PostgreSQL, extraction included: `probity serve` on a
#     fresh database, BENCH_LOAD facts streamed into intake, then
#     `probity rankings run`; prints each stage and the extraction's facts/s.
#
#   scripts/bench-rankings.sh            # both parts
#   BENCH_PART=1 scripts/bench-rankings.sh
#
# Knobs: BENCH_FACTS (10000000), BENCH_SOURCE (city | uniform), BENCH_THREADS (2), BENCH_RUNS (3),
# BENCH_LOAD (200000), BENCH_OFFICERS (3000), BENCH_PG (admin URL),
# BENCH_DIR (/var/tmp/probity-bench), CARGO_TARGET_DIR (/var/tmp/probity-release-target).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
FACTS=${BENCH_FACTS:-10000000}
THREADS=${BENCH_THREADS:-2}
RUNS=${BENCH_RUNS:-3}
LOAD=${BENCH_LOAD:-200000}
OFFICERS=${BENCH_OFFICERS:-3000}
PART=${BENCH_PART:-all}
SOURCE=${BENCH_SOURCE:-city}
PG_ADMIN=${BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
BASE=${BENCH_DIR:-/var/tmp/probity-bench}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/probity-release-target}
BIN=$CARGO_TARGET_DIR/release

echo "== building (release) ==" >&2
cargo build --release -p probity -p probity-bench >&2
python3 -c 'import duckdb' 2>/dev/null || pip install -q duckdb
[[ -x /usr/bin/time ]] || apt-get install -y -qq time >&2  # GNU time: scripts/ab.py reads its figures

if [[ $PART == all || $PART == 1 ]]; then
    DIR=$BASE/rankings-$SOURCE-$FACTS-$OFFICERS
    if [[ ! -f $DIR/bodies.parquet ]]; then
        echo "== writing $FACTS facts ($SOURCE) into $DIR ==" >&2
        case $SOURCE in
            city) from=--from-city ;;
            uniform) from= ;;
            *) echo "BENCH_SOURCE: city or uniform" >&2; exit 2 ;;
        esac
        rm -rf "$DIR.tmp"
        "$BIN/rankings-bench" generate $from --dir "$DIR.tmp" --facts "$FACTS" --officers "$OFFICERS"
        mv "$DIR.tmp" "$DIR"
    fi
    du -sh "$DIR" >&2
    # The small year of edge cases (earlier-year references, repeats, dangling
    # references, an officer listed twice): tests/edge_year.rs holds the job to
    # hand-worked counts; here DuckDB is held to the job on it.
    EDGE=$BASE/edge-year
    rm -rf "$EDGE"
    "$BIN/rankings-bench" edge-year --dir "$EDGE" >&2
    echo "== same answers on the edge-case year: probity vs DuckDB ==" >&2
    "$BIN/rankings-bench" compute --dir "$EDGE" --csv "$EDGE/officers.csv" --departments-csv "$EDGE/departments.csv"
    python3 scripts/rankings_duckdb.py "$EDGE" "$THREADS" "$EDGE/officers.csv" "$EDGE/departments.csv"
    echo "== same answers: probity vs DuckDB, every count of every officer and unit ==" >&2
    POLARS_MAX_THREADS=$THREADS "$BIN/rankings-bench" compute --dir "$DIR" \
        --csv "$DIR/probity-officers.csv" --departments-csv "$DIR/probity-departments.csv"
    python3 scripts/rankings_duckdb.py "$DIR" "$THREADS" "$DIR/probity-officers.csv" "$DIR/probity-departments.csv"
    echo "== A: probity's computation (polars, streaming), B: DuckDB; $THREADS threads each ==" >&2
    POLARS_MAX_THREADS=$THREADS python3 scripts/ab.py -n "$RUNS" --warmup 1 \
        --vs "python3 $ROOT/scripts/rankings_duckdb.py $DIR $THREADS" \
        -- "$BIN/rankings-bench" compute --dir "$DIR"
fi

if [[ $PART == all || $PART == 2 ]]; then
    WORK=$(mktemp -d /tmp/probity-bench-rankings.XXXXXX)
    # An issuer's key pair: development keys are refused beside PostgreSQL, so
    # the servers verify with the public key and `token issue` signs with the
    # private one.
    PROBITY__AUTH__DEV_KEYS=false "$BIN/probity" token keygen --private "$WORK/issuer.pem" --public "$WORK/issuer.pub.pem" 2>/dev/null
    export PROBITY__AUTH__DEV_KEYS=false PROBITY__AUTH__SIGNING_KEY_FILE=$WORK/issuer.pem PROBITY__AUTH__PUBLIC_KEY_FILES=$WORK/issuer.pub.pem
    DB=probity_bench_rk_$$_$RANDOM
    PG_URL=${PG_ADMIN%/*}/$DB
    PID=
    cleanup() {
        [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
        psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
        rm -rf "$WORK"
    }
    trap cleanup EXIT
    psql "$PG_ADMIN" -qc "CREATE DATABASE $DB" >/dev/null
    port=$("$BIN/load" free-port)
    export PROBITY__SERVER__LISTEN=127.0.0.1:$port PROBITY__DATABASE__DATA_DIR=$WORK
    export PROBITY__TELEMETRY__LEVEL=warn PROBITY__DATABASE__URL=$PG_URL
    "$BIN/probity" serve --target all >"$WORK/serve.log" 2>&1 &
    PID=$!
    "$BIN/load" wait --addr "127.0.0.1:$port" || { cat "$WORK/serve.log" >&2; exit 1; }
    PROBITY_BENCH_TOKEN=$("$BIN/probity" token issue --role legal_office --ttl 2h)
    export PROBITY_BENCH_TOKEN
    echo "== seeding 200 officers; streaming $LOAD facts into intake ==" >&2
    "$BIN/load" seed --addr "127.0.0.1:$port" --officers 200 --out "$WORK/seed.json" >&2
    "$BIN/intake-load" stream --addr "127.0.0.1:$port" --seed "$WORK/seed.json" --records "$LOAD" --streams 4 --prefix R >&2
    year=$(python3 -c "import datetime; print((datetime.datetime.utcnow() + datetime.timedelta(hours=8) - datetime.timedelta(days=30)).year)")
    echo "== probity rankings run --year $year (from PostgreSQL, extraction included) ==" >&2
    t0=$(date +%s%N)
    "$BIN/probity" rankings run --year "$year" --out "$WORK/run" --quiet
    echo "total: $(python3 -c "print(f'{($(date +%s%N) - $t0) / 1e9:.1f}')") s for $LOAD facts"
fi
