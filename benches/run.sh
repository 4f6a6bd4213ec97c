#!/usr/bin/env bash
# Runs the throughput benchmark and prints every figure of the README's performance table in
# one run: installs what it compares against when missing (ripgrep, isal's igzip, zip,
# unzip), then `cargo bench --bench throughput` with the gzip, support-zip and 2 GiB figures.
# With Debian's libisal-dev installed (installed here when apt-get is available), the
# benchmark is built with `--features isal` (ISA-L inflate); LINKDOCTOR_BENCH_FEATURES=""
# measures the default zlib-rs build instead. LINKDOCTOR_BENCH_MB sets the corpus size
# (default 1024).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v rg >/dev/null || need+=(ripgrep)
command -v igzip >/dev/null || need+=(isal)
command -v zip >/dev/null || need+=(zip)
command -v unzip >/dev/null || need+=(unzip)
[ -e /usr/include/isa-l/igzip_lib.h ] || need+=(libisal-dev)
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null; then
  sudo=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo="sudo"; fi
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
features="${LINKDOCTOR_BENCH_FEATURES-isal}"
if [ "$features" = isal ] && [ ! -e /usr/include/isa-l/igzip_lib.h ]; then
  echo "libisal-dev missing: measuring the default (zlib-rs) build" >&2
  features=""
fi
export LINKDOCTOR_BENCH_ARCHIVES="${LINKDOCTOR_BENCH_ARCHIVES-1}"
cargo bench --bench throughput ${features:+--features "$features"}
