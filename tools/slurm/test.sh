#!/usr/bin/env bash
# The Slurm executor's test on a real Slurm: starts a one-node cluster on localhost
# (local-cluster.sh installs Slurm and munge from Debian's packages if they are missing), then
# runs xtask's ignored test `slurm`: the smoke profile as Slurm jobs, one job cancelled and the
# graph submitted again, and its tables compared with a local smoke run's.
#
# Without apt-get (or root) Slurm cannot be installed: the script then says so and exits 0
# with a visible SKIPPED line, never silently. `.ci/run` runs it after the test suite.
set -euo pipefail
cd "$(dirname "$0")/../.."

status=0
tools/slurm/local-cluster.sh start || status=$?
if [ "$status" -eq 77 ]; then
    echo "SKIPPED: the Slurm executor's test (no Slurm here and no apt-get to install it; see above)" >&2
    exit 0
elif [ "$status" -ne 0 ]; then
    echo "tools/slurm/local-cluster.sh failed (exit $status): the Slurm test cannot run" >&2
    exit "$status"
fi
cargo test -p xtask --test slurm -- --ignored --nocapture
