#!/usr/bin/env bash
# bench/run.sh times whole processes side by side and writes the results
# section of docs/benchmarks.md and its chart (docs/benchmarks-curve.png):
#
#   - pgbaseline scan --format json (every rule, the JSON report written to
#     a file, and again to /dev/null) against one plain encoding/json decode
#     of the same export
#     (bench/jsondecode), on synthetic fleets of EXPORT_SIZES servers
#     (bench/genfleet);
#   - pgbaseline scan against `trivy config` on the same Terraform module of
#     TF_SIZES servers, with the findings of each;
#   - one server's files (the examples), end to end, with hyperfine.
#
# Usage: bench/run.sh            # the full run (about 20 minutes on 2 cores)
#        EXPORT_SIZES="1000 5000" TF_SIZES=200 bench/run.sh   # a quick one
#
# Settings (environment): EXPORT_SIZES, TF_SIZES, RUNS (runs per measurement
# up to 20,000 servers, the fastest kept; default 3), BENCH_DIR (work
# directory, default /tmp/pgbaseline-bench), TRIVY (the trivy binary; Trivy is
# skipped when there is none: GOBIN=/tmp/trivy-bin GOEXPERIMENT=jsonv2 go
# install github.com/aquasecurity/trivy/cmd/trivy@v0.74.0), MACHINE (the
# machine's description for the document), DOC and CHART (where to write),
# APPEND=1 (add to the measurements of an earlier run instead of starting
# afresh, to run the parts separately: EXPORT_SIZES= TF_SIZES=2000 APPEND=1),
# SINGLE=0 (skip the one-server timings), OUT (where the reports are written:
# by default a directory on /dev/shm, a memory-backed file system, so that
# the disk's write-back of the gigabytes of earlier runs' reports does not
# disturb the timings; the reports are still encoded and written through
# write(2) like any file).
set -euo pipefail
cd "$(dirname "$0")/.."

EXPORT_SIZES=${EXPORT_SIZES-"1000 5000 20000 50000 100000"}
TF_SIZES=${TF_SIZES-"200 2000"}
RUNS=${RUNS:-3}
W=${BENCH_DIR:-/tmp/pgbaseline-bench}
TRIVY=${TRIVY:-$(command -v trivy || echo /tmp/trivy-bin/trivy)}
MACHINE=${MACHINE:-"$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go env GOVERSION), $(. /etc/os-release && echo "$PRETTY_NAME"), $(date -u +%Y-%m-%d)"}

mkdir -p "$W"
OUT=${OUT:-$( [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm/pgbaseline-bench-out || echo "$W")}
mkdir -p "$OUT"
for cmd in pgbaseline jsondecode genfleet benchdoc; do
  pkg=./bench/$cmd
  [ "$cmd" = pgbaseline ] && pkg=./cmd/pgbaseline
  go build -o "$W/$cmd" "$pkg"
done
RESULTS=$W/results.tsv
[ "${APPEND:-}" = 1 ] || : > "$RESULTS"

# timeit N CMD...: runs CMD N times under /usr/bin/time and prints the
# fastest run's "wall user sys maxrss_kb".
timeit() {
  local n=$1 best="" line
  shift
  for _ in $(seq "$n"); do
    if ! /usr/bin/time -f "%e %U %S %M" -o "$W/time.txt" "$@" > /dev/null 2> "$W/stderr.txt"; then
      echo "bench: $* failed:" >&2
      cat "$W/stderr.txt" >&2
      return 1
    fi
    line=$(tail -1 "$W/time.txt")
    if [ -z "$best" ] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN {exit !(a < b)}'; then best=$line; fi
  done
  echo "$best"
}

# record GROUP SIZE TOOL "wall user sys rss" FINDINGS NOTE
record() {
  read -r wall user sys rss <<< "$4"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$wall" "$user" "$sys" "$rss" "$5" "$6" >> "$RESULTS"
  printf '%-10s %-40s %-11s wall %6ss  cpu %6ss+%ss  rss %8s KB  %s\n' "$1" "$2" "$3" "$wall" "$user" "$sys" "$rss" "$5"
}

for n in $EXPORT_SIZES; do
  f=$W/fleet-$n.json
  [ -s "$f" ] || "$W/genfleet" -servers "$n" -o "$f"
  size="$(( ($(stat -c %s "$f") + 524288) / 1048576 )) MiB"
  runs=$RUNS
  [ "$n" -gt 20000 ] && runs=1
  t=$(timeit "$runs" "$W/jsondecode" "$f")
  record export "$n" decode "$t" "" "$size"
  t=$(timeit "$runs" "$W/pgbaseline" scan "$f" --format json -o "$OUT/report-$n.json" --fail-on never)
  record export "$n" pgbaseline "$t" "" "$size"
  # The same scan with the report written to /dev/null: at fleet sizes the
  # report is 12 times the export, and storing gigabytes (even in memory)
  # costs the kernel time that grows faster than the scan's own.
  t=$(timeit "$runs" "$W/pgbaseline" scan "$f" --format json -o /dev/null --fail-on never)
  record export "$n" null "$t" "" "$size"
  rm -f "$OUT/report-$n.json"
done

for n in $TF_SIZES; do
  d=$W/tf-$n
  mkdir -p "$d"
  "$W/genfleet" -kind terraform -servers "$n" -o "$d/main.tf"
  t=$(timeit 1 "$W/pgbaseline" scan "$d" --format json -o "$OUT/tf-report-$n.json" --fail-on never)
  c=$("$W/benchdoc" count-pgbaseline "$OUT/tf-report-$n.json")
  record terraform "$n" pgbaseline "$t" "$c" ""
  if [ -x "$TRIVY" ]; then
    t=$(timeit 1 "$TRIVY" config --skip-check-update --skip-version-check --disable-telemetry --cache-dir "$W/trivy-cache" \
      --format json -o "$OUT/trivy-$n.json" "$d")
    c=$("$W/benchdoc" count-trivy "$OUT/trivy-$n.json")
    record terraform "$n" trivy "$t" "$c" "$("$TRIVY" --version | head -1)"
  fi
done

[ "${SINGLE:-1}" = 1 ] && for input in examples/exports/hardened-server.json examples/terraform/hardened examples/arm-templates/hardened-server/main.json; do
  t=$(timeit 1 "$W/pgbaseline" scan "$input" --format json -o /dev/null --fail-on never)
  if command -v hyperfine > /dev/null; then
    hyperfine --warmup 3 --runs 30 -N --export-json "$W/hyperfine.json" \
      "$W/pgbaseline scan $input --format json -o /dev/null --fail-on never" > /dev/null
    mean=$(jq '.results[0].mean' "$W/hyperfine.json")
    sd=$(jq '.results[0].stddev * 1000 | round' "$W/hyperfine.json")
    read -r _ user sys rss <<< "$t"
    t="$mean $user $sys $rss"
    note="$sd ms"
  else
    note="1 run"
  fi
  record single "$input" pgbaseline "$t" "" "$note"
done

"$W/benchdoc" render -results "$RESULTS" -doc "${DOC:-docs/benchmarks.md}" -chart "${CHART:-docs/benchmarks-curve.png}" -machine "$MACHINE"
echo "bench: wrote ${DOC:-docs/benchmarks.md} and ${CHART:-docs/benchmarks-curve.png} from $RESULTS"
