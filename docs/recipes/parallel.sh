#!/usr/bin/env bash
# Scan a fleet share as SHARDS independent shards with GNU parallel, then merge the partial
# reports into the report one scan of the whole share gives (byte-identical JSON).
#
#   On one host:      docs/recipes/parallel.sh /mnt/fleet /tmp/parts 4 > report.json
#   Over ssh:         SSH_LOGINS=scan1,scan2 docs/recipes/parallel.sh /mnt/fleet /mnt/shared/parts 8
#                     (each login needs linkdoctor on its PATH and the share and the parts
#                     folder mounted at the same paths; the merge runs here)
#
# Environment: LINKDOCTOR (default: linkdoctor), FORMAT (default: json), SSH_LOGINS (a
# comma-separated list for parallel --sshlogin; unset: this host), SCAN_OPTS (more scan
# options, e.g. "--since 24h --timezone Europe/Berlin": every shard must get the same).
set -euo pipefail
if [ "$#" -lt 2 ]; then
    echo "usage: $0 LOGS PARTS-DIR [SHARDS]" >&2
    exit 2
fi
logs=$1
parts=$2
shards=${3:-4}
ld=${LINKDOCTOR:-linkdoctor}
format=${FORMAT:-json}
mkdir -p "$parts"
rm -f "$parts"/part-*.json
remote=()
if [ -n "${SSH_LOGINS:-}" ]; then
    remote=(--sshlogin "$SSH_LOGINS")
fi
# One job per shard; --halt now,fail=1: a failed shard fails the run (a merge of the rest
# would silently miss its inputs).
# shellcheck disable=SC2086
seq 0 $((shards - 1)) | parallel --will-cite --halt now,fail=1 "${remote[@]}" \
    "$ld" scan "$logs" --shard "{}/$shards" --out "$parts/part-{}.json" --quiet ${SCAN_OPTS:-}
"$ld" merge "$parts"/part-*.json --format "$format"
