#!/usr/bin/env bash
# A Slurm job array: task I of N scans shard I/N of the fleet share into a partial report;
# the last step merges them (submit it with --dependency=afterok:<array job id>, or run the
# merge by hand).
#
#   sbatch --array=0-7 docs/recipes/slurm-array.sh /mnt/fleet /mnt/shared/parts
#   # then: linkdoctor merge /mnt/shared/parts/part-*.json --format json > report.json
#
# `--shard auto` reads SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT.
#SBATCH --job-name=linkdoctor-fleet
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --time=01:00:00
#SBATCH --output=linkdoctor-%A_%a.log
set -euo pipefail
logs=${1:?usage: slurm-array.sh LOGS PARTS-DIR}
parts=${2:?usage: slurm-array.sh LOGS PARTS-DIR}
ld=${LINKDOCTOR:-linkdoctor}
mkdir -p "$parts"
# shellcheck disable=SC2086
"$ld" scan "$logs" --shard auto --out "$parts/part-${SLURM_ARRAY_TASK_ID}.json" \
    --threads "${SLURM_CPUS_PER_TASK:-2}" --quiet ${SCAN_OPTS:-}
