#!/usr/bin/env bash
# Runs every test, on SQLite and on PostgreSQL. Starts the local PostgreSQL
# cluster if it is down; each test creates its own database in it.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_ADMIN_URL=${PROBITY_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}

if command -v pg_isready >/dev/null; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "test.sh: PostgreSQL is down; starting it" >&2
    version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
    pg_ctlcluster --skip-systemctl-redirect "${version:-15}" main start
    for _ in $(seq 1 60); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
fi

# The report test renders report.html in headless Chromium and reads its PDF
# with poppler (fonts-noto-cjk so the Chinese prints as text, not boxes).
if ! { command -v chromium >/dev/null && command -v pdftoppm >/dev/null; } \
    && command -v apt-get >/dev/null; then
    echo "test.sh: installing chromium, poppler-utils and fonts-noto-cjk for the report test" >&2
    sudo=""; [[ $(id -u) == 0 ]] || sudo="sudo"
    apt_install() {
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            chromium poppler-utils fonts-noto-cjk >/dev/null 2>&1
    }
    # a fresh machine may have no package lists yet
    apt_install || { $sudo apt-get update -qq >/dev/null 2>&1 && apt_install; } \
        || echo "test.sh: could not install them; the report test will fail" >&2
fi
# A missing Chromium fails the report test instead of skipping its rendering.
export PROBITY_TEST_REQUIRE_CHROMIUM=${PROBITY_TEST_REQUIRE_CHROMIUM:-1}

export PROBITY_TEST_DATABASE_URL="$PG_ADMIN_URL"
# A missing PostgreSQL fails the PostgreSQL cases instead of skipping them.
export PROBITY_TEST_REQUIRE_POSTGRES=${PROBITY_TEST_REQUIRE_POSTGRES:-1}

# Each PostgreSQL case makes its own database (probity_t_*); the ones this
# run made are dropped after it if it passed, kept for a look if it failed.
test_dbs() {
    command -v psql >/dev/null || return 0
    psql "$PG_ADMIN_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'probity_t_%'" 2>/dev/null | sort
}
before=$(mktemp)
log=$(mktemp)
trap 'rm -f "$log" "$before"' EXIT
test_dbs >"$before"
status=0
cargo test --workspace --all-targets "$@" 2>&1 | tee "$log" || status=$?
made=$(test_dbs | comm -13 "$before" -)
if [[ -n $made ]]; then
    if [[ $status == 0 ]]; then
        for db in $made; do psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true; done
    else
        echo "test.sh: kept this run's $(wc -w <<<"$made") test databases (probity_t_*) for a look; .ci/run drops leftovers" >&2
    fi
fi
# One closing line for the whole run: cargo prints one per test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
