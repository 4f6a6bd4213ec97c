#!/usr/bin/env bash
# Builds every fuzz target and runs each, one after another, for SECONDS (default 60),
# then prints the executions per target. Not part of .ci/run (far too long for CI).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Runs at low
# priority (nice 10), with a 2 GiB memory limit and a 10 s per-input timeout. New inputs go
# to fuzz/work/TARGET (not committed); the committed seeds in fuzz/corpus/TARGET are read
# too. A crash, timeout or out-of-memory input lands in fuzz/artifacts/TARGET; minimise it
# with `cargo +nightly fuzz tmin TARGET ARTIFACT` (from the repository root). Logs are in
# fuzz/logs/TARGET.log.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=(zip gzip tar rules gate_keys config scan)
fi

# FUZZ_FEATURES=isal builds against ISA-L (Debian's libisal-dev): the gzip target then also
# compares checksums left to the reading side with checksums checked in place.
features=()
if [ -n "${FUZZ_FEATURES:-}" ]; then
    features=(--features "$FUZZ_FEATURES")
fi
nice -n 10 cargo +nightly fuzz build "${features[@]}" || exit 1

mkdir -p fuzz/logs
declare -A result
for t in "${targets[@]}"; do
    mkdir -p "fuzz/work/$t"
    dict=()
    case $t in
        scan | gzip) dict=(-dict=fuzz/dict/log.dict) ;;
        config) dict=(-dict=fuzz/dict/config.dict) ;;
        rules) dict=(-dict=fuzz/dict/rules.dict) ;;
    esac
    echo "== $t: ${seconds}s" >&2
    start=$(date +%s)
    nice -n 10 cargo +nightly fuzz run "${features[@]}" "$t" "fuzz/work/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        "${dict[@]}" >"fuzz/logs/$t.log" 2>&1
    status=$?
    elapsed=$(($(date +%s) - start))
    execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "fuzz/logs/$t.log" | tail -1 | awk '{print $2}')
    corpus=$(find "fuzz/work/$t" -type f | wc -l)
    if [ $status -eq 0 ]; then verdict=ok; else verdict="FAILED (exit $status, see fuzz/logs/$t.log)"; fi
    result[$t]="execs=${execs:-?} time=${elapsed}s corpus=${corpus} ${verdict}"
    echo "   ${result[$t]}" >&2
done

echo
printf '%-8s %s\n' target result
for t in "${targets[@]}"; do
    printf '%-8s %s\n' "$t" "${result[$t]}"
done
