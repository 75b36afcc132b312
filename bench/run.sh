#!/usr/bin/env bash
# bench/run.sh times whole processes side by side and writes the results
# section of docs/benchmarks.md and its chart (docs/benchmarks-curve.png):
#
#   - pgbaseline scan --format json (every rule, the JSON report written to
#     a file, and again to /dev/null) against one plain encoding/json decode
#     of the same export, the yardstick (bench/jsondecode), on synthetic
#     fleets of EXPORT_SIZES servers (bench/genfleet);
#   - pgbaseline scan against `trivy config` on the same Terraform module of
#     TF_SIZES servers, with the findings of each;
#   - one server's files (the examples), end to end, with hyperfine.
#
# How an export size is measured (issue 20: a yardstick that moves is not a
# measurement): the export is read once (cat > /dev/null) and each command
# run once untimed, so that the page cache is warm; then RUNS rounds of
# decode, scan to a file, scan to /dev/null, back to back in one loop. Each
# run is timed by bench/benchtime (wall, user and system CPU to the
# microsecond, peak RSS) and recorded; bench/benchdoc reports min / median /
# max of wall and CPU time, and the ratios to the decode both from the
# medians and per round. After each size, when the decode's wall or CPU time
# spreads, (max - min) / median, by more than 15%, the script stops with
# exit status 1 and writes no document; from 7 rounds up the spread is taken
# over the middle rounds (the fastest and the slowest left out, as
# bench/guard does), so one run the machine disturbed does not void the rest.
#
# Usage: bench/run.sh            # the full run (about half an hour on 2 cores)
#        EXPORT_SIZES="1000 5000" TF_SIZES=200 bench/run.sh   # a quick one
#
# Settings (environment): EXPORT_SIZES, TF_SIZES, RUNS (rounds per export
# size up to 20,000 servers; default 7), LARGE_RUNS (rounds above 20,000
# servers, where a round takes a minute; default 3, and the document says
# so), TF_RUNS (runs of each tool per Terraform size, in turn; default 1:
# Trivy takes minutes at 2,000 servers), BENCH_DIR (work directory, default
# /tmp/pgbaseline-bench), TRIVY (the trivy binary; Trivy is skipped when
# there is none: GOBIN=/tmp/trivy-bin GOEXPERIMENT=jsonv2 go install
# github.com/aquasecurity/trivy/cmd/trivy@v0.74.0), MACHINE (the machine's
# description for the document), DOC and CHART (where to write), APPEND=1
# (add to the measurements of an earlier run instead of starting afresh, to
# run the parts separately: EXPORT_SIZES= TF_SIZES=2000 APPEND=1; a size
# measured again replaces its earlier runs), SINGLE=0 (skip the one-server
# timings), OUT (where the reports are written: by default a directory on
# /dev/shm, a memory-backed file system, so that the disk's write-back of
# the gigabytes of earlier runs' reports does not disturb the timings; the
# reports are still encoded and written through write(2) like any file).
set -euo pipefail
cd "$(dirname "$0")/.."

EXPORT_SIZES=${EXPORT_SIZES-"1000 5000 20000 50000 100000"}
TF_SIZES=${TF_SIZES-"200 2000"}
RUNS=${RUNS:-7}
LARGE_RUNS=${LARGE_RUNS:-3}
TF_RUNS=${TF_RUNS:-1}
W=${BENCH_DIR:-/tmp/pgbaseline-bench}
TRIVY=${TRIVY:-$(command -v trivy || echo /tmp/trivy-bin/trivy)}
# shellcheck disable=SC1091 # /etc/os-release is the machine's, not ours
MACHINE=${MACHINE:-"$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(go env GOVERSION), $(. /etc/os-release && echo "$PRETTY_NAME"), $(date -u +%Y-%m-%d)"}
DOC=${DOC:-docs/benchmarks.md}
CHART=${CHART:-docs/benchmarks-curve.png}

for v in RUNS LARGE_RUNS TF_RUNS; do
  if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
    echo "bench: $v=${!v}: want a positive whole number" >&2
    exit 2
  fi
done
if [ "$RUNS" -lt 5 ]; then
  echo "bench: RUNS=$RUNS: fewer than 5 rounds a size; the document will say so" >&2
fi

mkdir -p "$W"
OUT=${OUT:-$( [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm/pgbaseline-bench-out || echo "$W")}
mkdir -p "$OUT"
for cmd in pgbaseline jsondecode genfleet benchdoc benchtime; do
  pkg=./bench/$cmd
  [ "$cmd" = pgbaseline ] && pkg=./cmd/pgbaseline
  go build -o "$W/$cmd" "$pkg"
done
RESULTS=$W/results.tsv
[ "${APPEND:-}" = 1 ] || : > "$RESULTS"
touch "$RESULTS"
LOAD_START=$(cut -d' ' -f1 /proc/loadavg)

# forget GROUP SIZE: drops earlier runs of a group and size from the results
# (APPEND=1 measuring a size again).
forget() {
  awk -F'\t' -v g="$1" -v s="$2" '!($1 == g && $2 == s)' "$RESULTS" > "$RESULTS.tmp"
  mv "$RESULTS.tmp" "$RESULTS"
}

# timed CMD...: runs CMD once under bench/benchtime and prints
# "wall user sys maxrss_kb" (seconds to the microsecond, KiB).
timed() {
  if ! "$W/benchtime" -o "$W/time.txt" "$@" > /dev/null 2> "$W/stderr.txt"; then
    echo "bench: $* failed:" >&2
    cat "$W/stderr.txt" >&2
    return 1
  fi
  cat "$W/time.txt"
}

# untimed CMD...: runs CMD once, for a warm page cache, and checks that it
# works.
untimed() {
  if ! "$@" > /dev/null 2> "$W/stderr.txt"; then
    echo "bench: $* failed:" >&2
    cat "$W/stderr.txt" >&2
    return 1
  fi
}

# record GROUP SIZE TOOL "wall user sys rss" FINDINGS NOTE [ROUND]
record() {
  local wall user sys rss
  read -r wall user sys rss <<< "$4"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$wall" "$user" "$sys" "$rss" "$5" "$6" >> "$RESULTS"
  printf '%-10s %-40s %-11s %-5s wall %8ss  cpu %8ss+%ss  rss %8s KB  %s\n' "$1" "$2" "$3" "${7:-}" "$wall" "$user" "$sys" "$rss" "$5"
}

for n in $EXPORT_SIZES; do
  f=$W/fleet-$n.json
  [ -s "$f" ] || "$W/genfleet" -servers "$n" -o "$f"
  size="$(( ($(stat -c %s "$f") + 524288) / 1048576 )) MiB"
  runs=$RUNS
  if [ "$n" -gt 20000 ] && [ "$LARGE_RUNS" -lt "$RUNS" ]; then
    runs=$LARGE_RUNS
    echo "bench: $n servers: $runs rounds (LARGE_RUNS), fewer than RUNS=$RUNS; the document says so"
  fi
  report=$OUT/report-$n.json
  decode=("$W/jsondecode" "$f")
  scan=("$W/pgbaseline" scan "$f" --format json -o "$report" --fail-on never)
  # The same scan with the report written to /dev/null: at fleet sizes the
  # report is 12 times the export, and storing gigabytes (even in memory)
  # costs the kernel time that grows faster than the scan's own.
  null=("$W/pgbaseline" scan "$f" --format json -o /dev/null --fail-on never)
  forget export "$n"
  echo "bench: $n servers: warming up (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  cat "$f" > /dev/null
  untimed "${decode[@]}"
  untimed "${scan[@]}"
  rm -f "$report"
  untimed "${null[@]}"
  # Rounds: the three commands back to back, so that a change in the
  # machine's speed touches the yardstick as much as the scans.
  for r in $(seq "$runs"); do
    # (t=$(...) on its own line: set -e stops on a failed run only there.)
    t=$(timed "${decode[@]}")
    record export "$n" decode "$t" "" "$size" "$r/$runs"
    t=$(timed "${scan[@]}")
    record export "$n" pgbaseline "$t" "" "$size" "$r/$runs"
    rm -f "$report"
    t=$(timed "${null[@]}")
    record export "$n" null "$t" "" "$size" "$r/$runs"
  done
  if ! "$W/benchdoc" check -results "$RESULTS" -size "$n"; then
    echo "bench: refusing to write $DOC: the decode (the yardstick) moved by more than 15% at $n servers (above)." >&2
    echo "bench: the machine is too busy to measure (load average now $(cut -d' ' -f1-3 /proc/loadavg)); the runs so far are in $RESULTS." >&2
    echo "bench: once it is quiet, measure again; to redo this size alone and keep the others: APPEND=1 EXPORT_SIZES=\"$n ...\" TF_SIZES= SINGLE=0 bench/run.sh" >&2
    exit 1
  fi
done

for n in $TF_SIZES; do
  d=$W/tf-$n
  mkdir -p "$d"
  "$W/genfleet" -kind terraform -servers "$n" -o "$d/main.tf"
  forget terraform "$n"
  cat "$d/main.tf" > /dev/null
  trivy_cmd=()
  if [ -x "$TRIVY" ]; then
    trivy_cmd=("$TRIVY" config --skip-check-update --skip-version-check --disable-telemetry --cache-dir "$W/trivy-cache"
      --format json -o "$OUT/trivy-$n.json" "$d")
    trivy_version=$("$TRIVY" --version | head -1)
  fi
  for r in $(seq "$TF_RUNS"); do
    t=$(timed "$W/pgbaseline" scan "$d" --format json -o "$OUT/tf-report-$n.json" --fail-on never)
    c=$("$W/benchdoc" count-pgbaseline "$OUT/tf-report-$n.json")
    record terraform "$n" pgbaseline "$t" "$c" "" "$r/$TF_RUNS"
    if [ ${#trivy_cmd[@]} -gt 0 ]; then
      t=$(timed "${trivy_cmd[@]}")
      c=$("$W/benchdoc" count-trivy "$OUT/trivy-$n.json")
      record terraform "$n" trivy "$t" "$c" "$trivy_version" "$r/$TF_RUNS"
    fi
  done
done

if [ "${SINGLE:-1}" = 1 ]; then
  for input in examples/exports/hardened-server.json examples/terraform/hardened examples/arm-templates/hardened-server/main.json; do
    forget single "$input"
    t=$(timed "$W/pgbaseline" scan "$input" --format json -o /dev/null --fail-on never)
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
fi

LOAD_END=$(cut -d' ' -f1 /proc/loadavg)
# render checks every export size's yardstick again (APPEND=1 may bring in
# earlier runs) and writes nothing when one moved.
if ! "$W/benchdoc" render -results "$RESULTS" -doc "$DOC" -chart "$CHART" \
  -machine "$MACHINE; load average $LOAD_START at the start, $LOAD_END at the end"; then
  echo "bench: $DOC not written; the runs are in $RESULTS" >&2
  exit 1
fi
echo "bench: wrote $DOC and $CHART from $RESULTS"
