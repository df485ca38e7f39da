#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer + AddressSanitizer) of the pure parsers: KIS and Kiwoom realtime frames, the
# JSON parser, the broker failure envelopes, the token answers with the KST time formats, and the RESP decoder
# (Fuzz/Targets; `brokerhub-fuzz list` names them). Each target starts from its seed corpus in Fuzz/corpus/<target>
# and runs for a bounded time; a crash, a sanitizer report, a broken invariant, a hang (> 10 s on one input) or an
# out-of-memory fails the run, and the input that did it is kept and printed.
#
#   scripts/fuzz.sh                 # every target, 30 s each
#   scripts/fuzz.sh 300 json resp   # 300 s each, two targets
#
# Environment:
#   BROKERHUB_FUZZ_MERGE=1   afterwards, merge the new inputs that add coverage into Fuzz/corpus (minimised; commit them)
#   BROKERHUB_KEEP_TMP=1     keep the work directory (new corpus entries, logs)
# Builds into .build-fuzz (a separate scratch path: the sanitizers change every object file). A crash file is
# replayed on a plain build with `swift run brokerhub-fuzz replay TARGET FILE`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${1:-30}"
shift || true
log() { printf 'fuzz: %s\n' "$*"; }

log "building brokerhub-fuzz with -sanitize=fuzzer,address (.build-fuzz)"
swift build --scratch-path .build-fuzz --product brokerhub-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >/dev/null
bin="$(swift build --scratch-path .build-fuzz --show-bin-path)/brokerhub-fuzz"

if (( $# > 0 )); then
  targets=("$@")
else
  mapfile -t targets < <(ls Fuzz/corpus)
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/brokerhub-fuzz.XXXXXX")"
failed=()
cleanup() {
  if (( ${#failed[@]} > 0 )) || [[ "${BROKERHUB_KEEP_TMP:-0}" == "1" ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# The Swift runtime keeps its metadata caches for the process's life: not leaks.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:symbolize=1"
# The Swift runtime's backtracer reads its own stack in ways ASan reports; libFuzzer prints the stack itself.
export SWIFT_BACKTRACE="enable=no"
for target in "${targets[@]}"; do
  [[ -d "Fuzz/corpus/$target" ]] || { log "no seed corpus Fuzz/corpus/$target"; failed+=("$target"); continue; }
  mkdir -p "$WORK/$target/new" "$WORK/$target/crashes"
  status=0
  # New inputs go to the work directory; the committed seeds are read only.
  BROKERHUB_FUZZ_TARGET="$target" timeout --kill-after=30 $(( seconds + 120 )) "$bin" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
    -artifact_prefix="$WORK/$target/crashes/" \
    "$WORK/$target/new" "Fuzz/corpus/$target" >"$WORK/$target/log" 2>&1 || status=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$WORK/$target/log" | tail -1)"
  coverage="$(grep -oE 'cov: [0-9]+' "$WORK/$target/log" | tail -1 | cut -d' ' -f2)"
  found="$(find "$WORK/$target/new" -type f | wc -l)"
  if (( status == 0 )); then
    log "$target: ${runs:-?} inputs in ${seconds} s, coverage ${coverage:-?} edges, $found new corpus inputs, no crash"
  else
    failed+=("$target")
    log "$target: FAILED (exit $status) after ${runs:-?} inputs; log $WORK/$target/log"
    grep -E 'ERROR|fuzz invariant|Fatal error|SUMMARY|deadly signal|Test unit written' "$WORK/$target/log" | head -8 | sed 's/^/    /' || true
    for crash in "$WORK/$target/crashes"/*; do
      [[ -f "$crash" ]] && log "    input: $crash (replay: swift run brokerhub-fuzz replay $target $crash)"
    done
  fi
  if [[ "${BROKERHUB_FUZZ_MERGE:-0}" == "1" ]] && (( found > 0 )); then
    BROKERHUB_FUZZ_TARGET="$target" "$bin" -merge=1 "Fuzz/corpus/$target" "$WORK/$target/new" >>"$WORK/$target/log" 2>&1
    log "$target: merged into Fuzz/corpus/$target ($(ls "Fuzz/corpus/$target" | wc -l) inputs)"
  fi
done

if (( ${#failed[@]} > 0 )); then
  log "failed: ${failed[*]}"
  exit 1
fi
log "passed: ${#targets[@]} targets, ${seconds} s each"
