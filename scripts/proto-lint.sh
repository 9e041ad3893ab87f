#!/usr/bin/env bash
# Lints the protos with buf (STANDARD rules, proto/buf.yaml) and checks they
# are in buf's format. buf comes from the npm registry (@bufbuild/buf), pinned,
# installed once into a cache outside the clone. The AIP rules buf does not
# know are checked by proto/tests/aip.rs in the test suite.
set -euo pipefail
cd "$(dirname "$0")/../proto"
version=1.75.0
cache=${PROBITY_BUF_DIR:-/var/tmp/probity-buf-$version}
buf=$cache/node_modules/.bin/buf
if [[ ! -x $buf ]]; then
  echo "proto-lint: installing @bufbuild/buf@$version into $cache"
  mkdir -p "$cache"
  npm install --silent --prefix "$cache" "@bufbuild/buf@$version" >/dev/null
fi
"$buf" lint
"$buf" format --diff --exit-code
echo "proto-lint: buf $("$buf" --version) lint and format clean"
