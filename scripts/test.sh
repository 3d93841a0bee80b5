#!/usr/bin/env bash
# `npm test`: provisions what the suite needs on a fresh Debian machine (idempotent, fast when
# everything is present), builds, and runs every compiled test file. CI runs this via .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# System packages: real Kafka clients for the interop/crash tests (Debian's Python, not the
# PATH one: tests call /usr/bin/python3) and librdkafka headers for the bench.
missing=()
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import kafka' >/dev/null 2>&1; } || missing+=(python3-kafka)
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import confluent_kafka' >/dev/null 2>&1; } || missing+=(python3-confluent-kafka)
dpkg-query -W -f='${Status}' librdkafka-dev 2>/dev/null | grep -q 'ok installed' || missing+=(librdkafka-dev)
# Go clients (sarama, kafka-go) built offline from Debian's library sources (gcc: sarama's zstd cgo
# binding), and Burrow with the ZooKeeper it needs.
command -v go >/dev/null 2>&1 || missing+=(golang-go)
command -v gcc >/dev/null 2>&1 || missing+=(gcc)
[ -d /usr/share/gocode/src/github.com/Shopify/sarama ] || missing+=(golang-github-shopify-sarama-dev)
[ -d /usr/share/gocode/src/github.com/segmentio/kafka-go ] || missing+=(golang-github-segmentio-kafka-go-dev)
command -v Burrow >/dev/null 2>&1 || missing+=(burrow)
[ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node dependencies: (re)install when node_modules is missing or older than the manifests.
# npm writes node_modules/.package-lock.json on every install, so it dates the installed tree.
installed=node_modules/.package-lock.json
if [ ! -f "$installed" ] || [ package.json -nt "$installed" ] || { [ -f package-lock.json ] && [ package-lock.json -nt "$installed" ]; }; then
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
fi

# tsc emits JavaScript even when some file has type errors; run the tests anyway so the report is
# complete, but a type error still fails `npm test`.
build_status=0
npm run build || build_status=$?

# Compiled tests whose TypeScript source was deleted linger in dist/; do not run those.
tests=()
while IFS= read -r file; do
  source="${file#dist/}"
  [ -f "${source%.js}.ts" ] && tests+=("$file")
done < <(find dist/test -type f -name '*.test.js' 2>/dev/null | LC_ALL=C sort)
if [ "${#tests[@]}" -eq 0 ]; then
  echo "test.sh: no compiled tests found under dist/test" >&2
  exit 1
fi

# A per-test timeout turns a hung test into a named failure instead of a stuck CI job.
test_status=0
node --test --test-concurrency=2 --test-timeout=300000 "${tests[@]}" || test_status=$?

if [ "$build_status" -ne 0 ]; then
  echo "test.sh: npm run build failed (status $build_status)" >&2
  [ "$test_status" -ne 0 ] || test_status=$build_status
fi
exit "$test_status"
