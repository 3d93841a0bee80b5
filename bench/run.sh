#!/usr/bin/env bash
# npm run bench [-- --quick] : build the native load generator and the reference
# broker from Debian's librdkafka, build the project, then run bench/run.ts.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -f /usr/include/librdkafka/rdkafka_mock.h ] || ! command -v gcc >/dev/null; then
  echo "bench: installing librdkafka-dev and gcc" >&2
  as_root apt-get install -y librdkafka-dev gcc || { as_root apt-get update && as_root apt-get install -y librdkafka-dev gcc; }
fi

mkdir -p bench/build
gcc -O2 -Wall -o bench/build/gregor-perf bench/native/gregor-perf.c -lrdkafka -lpthread
gcc -O2 -Wall -pthread -o bench/build/mock-broker bench/native/mock-broker.c -lrdkafka

# The build users run (tsc, the start-up bundle and its code cache): the broker benched is the one
# `npm start` runs. tsc emits JavaScript even when files elsewhere in the tree have type errors.
if ! node scripts/build.mjs >bench/build/build.log 2>&1; then
  echo "bench: the build reported errors (bench/build/build.log); using what it emitted" >&2
fi

exec node dist/bench/run.js "$@"
