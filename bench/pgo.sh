#!/usr/bin/env bash
# bench/pgo.sh regenerates cmd/pgbaseline/default.pgo, the CPU profile that
# the Go compiler uses for profile-guided optimization of the pgbaseline
# binary (https://go.dev/doc/pgo). The profile merges the representative
# workloads: a 20,000-server export scanned to JSON, a 1,000-server
# Terraform module, and the bundled examples in every report format.
# Run it after changes to the hot paths (package scan, policy, jsonpos,
# report, arm), then check the gain with bench/run.sh.
#
# Usage: bench/pgo.sh   (about a minute; BENCH_DIR as in bench/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
W=${BENCH_DIR:-/tmp/pgbaseline-bench}
mkdir -p "$W/pgo"
go build -o "$W/genfleet" ./bench/genfleet
# Profiles are taken without the current profile, so that they do not
# feed on themselves.
go build -pgo=off -o "$W/pgbaseline-nopgo" ./cmd/pgbaseline
[ -s "$W/fleet-20000.json" ] || "$W/genfleet" -servers 20000 -o "$W/fleet-20000.json"
[ -d "$W/tf-1000" ] || { mkdir -p "$W/tf-1000" && "$W/genfleet" -kind terraform -servers 1000 -o "$W/tf-1000/main.tf"; }
run() {
  local name=$1
  shift
  PGBASELINE_CPUPROFILE="$W/pgo/$name.prof" "$W/pgbaseline-nopgo" scan "$@" --fail-on never > /dev/null
}
run export "$W/fleet-20000.json" --format json -o "$W/pgo/report.json"
run terraform "$W/tf-1000" --format json -o "$W/pgo/tf.json"
for f in table sarif markdown html junit csv; do
  run "examples-$f" examples --format "$f" -o "$W/pgo/examples.$f"
done
go tool pprof -proto "$W"/pgo/*.prof > cmd/pgbaseline/default.pgo
echo "wrote cmd/pgbaseline/default.pgo ($(stat -c %s cmd/pgbaseline/default.pgo) bytes)"
