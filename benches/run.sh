#!/usr/bin/env bash
# Runs the throughput benchmark: installs ripgrep (and zip/unzip) if missing, then
# `cargo bench --bench throughput`. LINKDOCTOR_BENCH_MB sets the corpus size (default 1024),
# LINKDOCTOR_BENCH_ARCHIVES=1 adds the gzip, support-zip and 2 GiB single-file figures.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v rg >/dev/null || need+=(ripgrep)
command -v zip >/dev/null || need+=(zip)
command -v unzip >/dev/null || need+=(unzip)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo bench --bench throughput
