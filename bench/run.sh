#!/usr/bin/env bash
# Runs every ckisa benchmark and its peers, then prints the table of
# BENCHMARKS.md. Loopback only; writes only under $CARGO_TARGET_DIR, /tmp and
# bench/ (peer environments). About 6-10 minutes on 2 cores.
#
#   bench/run.sh            everything
#   bench/run.sh --quick    shorter rounds and smaller volumes (smoke test)
#
# Environment: CARGO_TARGET_DIR (default /work/targets/bench), CKISA_BIN (a
# prebuilt ckisa binary; default: built here from ../crates/cli),
# BENCH_1M_FOLDER (default /tmp/ckisa-bench-1m, reused between runs).
#
# Every node folder is SQLCipher-encrypted, its key in <data>.key beside it
# (a plaintext 1M folder of an earlier version is encrypted in place with
# `ckisa rekey --chiffrer`); pages are read with the session of a `bench`
# account and the API with a `bench` token, both made with the ckisa CLI
# (see src/access.rs). CKISA_KEY_FILE and CKISA_PASSPHRASE are ignored.
set -euo pipefail
unset CKISA_KEY_FILE CKISA_PASSPHRASE

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/bench}"
folder="${BENCH_1M_FOLDER:-/tmp/ckisa-bench-1m}"
results="$(mktemp /tmp/ckisa-bench-results.XXXXXX)"
quick=0
[[ "${1:-}" == "--quick" ]] && quick=1

pin() { if command -v taskset >/dev/null; then taskset -c 0 "$@"; else "$@"; fi; }
step() { printf '\n== %s\n' "$*"; }
run() { "$@" 2>&1 | tee -a "$results"; }

step "machine"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "cpus: $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rustc: $(rustc --version); python: $(python3 --version 2>&1); node: $(node --version 2>/dev/null || echo none)"

step "build (release)"
(cd "$here" && cargo build --release --bins)
if [[ -z "${CKISA_BIN:-}" ]]; then
    (cd "$root" && cargo build --release --locked -p ckisa)
    export CKISA_BIN="$CARGO_TARGET_DIR/release/ckisa"
fi
bin="$CARGO_TARGET_DIR/release"

step "peers"
if [[ ! -x "$here/.venv-peers/bin/python" ]]; then
    python3 -m venv "$here/.venv-peers"
    "$here/.venv-peers/bin/pip" install -q hl7==0.4.5 hl7apy==1.3.5 fhir.resources==8.3.0
fi
if command -v npm >/dev/null && [[ ! -d "$here/peers/node_modules/hl7v2" ]]; then
    (cd "$here/peers" && npm install --no-save --silent)
fi
py="$here/.venv-peers/bin/python"

if (( quick )); then
    secs=0.1; messages=10000; single=500; per=300; probes=50; events=100000; requests=200
    folder="${folder}-quick"
else
    secs=0.5; messages=100000; single=3000; per=2500; probes=300; events=1000000; requests=2000
fi

step "1. HL7 v2 parse, one core (taskset -c 0)"
run pin "$bin/hl7_parse" --secs "$secs"
run pin "$py" "$here/peers/hl7_parse.py" --secs "$secs"
if [[ -d "$here/peers/node_modules/hl7v2" ]]; then
    run pin node "$here/peers/hl7_parse.js" --secs "$secs"
fi

step "2a. durable HL7 ingestion from files ($messages messages)"
run "$bin/ingest_files" --messages "$messages"

step "2b. MLLP against ckisa serve, and 4. replica lag"
run "$bin/mllp_load" --single "$single" --per-connection "$per" --probes "$probes"

step "3. FHIR Synthea ingestion"
run "$bin/fhir_ingest" --rounds 3
run "$py" "$here/peers/fhir_parse.py" --rounds 1

step "5. 1,500 beds, $events events: reads, memory, restart"
run "$bin/read_latency" --events "$events" --requests "$requests" --folder "$folder"

step "summary (load average now: $(cut -d' ' -f1-3 /proc/loadavg))"
python3 "$here/report.py" "$results"
echo
echo "raw results: $results"
