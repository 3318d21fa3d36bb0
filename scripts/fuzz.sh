#!/usr/bin/env bash
# Fuzzes the gateway's untrusted-input parsers with the libFuzzer targets in
# fuzz/ (see fuzz/fuzz_targets/*.rs):
#   template     template text: compile, then render over a fixed request
#   render_body  the shipped templates rendered over an arbitrary body
#   jsonpath     JSONPath text: compile, then query a few documents
#   json_guard   the injection guard over the tutorial templates, any body
#   config       configuration text, loaded and compiled as `gateway validate`
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60; every target (default: all) runs this long.
#
# Needs a nightly toolchain (`rustup toolchain install nightly`); installs the
# pinned cargo-fuzz when missing. Builds every target once, seeds
# fuzz/corpus/<target>/ from the repository (fuzz/seed.py) and keeps what the
# fuzzer finds there, so later runs start where earlier ones stopped.
# Fails when a target panics, times out (-timeout) or runs out of memory
# (-rss_limit_mb), printing the input kept in fuzz/artifacts/<target>/ and the
# command that replays it.
#
# Environment:
#   FUZZ_BUILD       release (default) or dev: dev builds in half the time and
#                    runs several times slower, for a short smoke run.
#   FUZZ_SANITIZER   address (default) or none. AddressSanitizer is what turns
#                    a stack overflow into a finding with its input kept:
#                    without it the process dies on SIGSEGV and keeps nothing.
#   FUZZ_SEEDS       repo (default): seed from the repository (fuzz/seed.py)
#                    and fuzz/seeds/; small: fuzz/seeds/ alone, for a smoke run
#                    that should not spend its time replaying the fixtures.
#   FUZZ_TARGET_DIR  where the targets are built (default fuzz/target).
#   FUZZ_TOOLS_DIR   where the pinned cargo-fuzz is installed (default
#                    ~/.cache/gateway-fuzz/cargo-fuzz-VERSION).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root/fuzz"

cargo_fuzz_version=0.13.2
all_targets=(template render_body jsonpath json_guard config)

seconds="${1:-60}"
if [ $# -gt 0 ]; then
  shift
fi
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: SECONDS_PER_TARGET must be a positive number, not '$seconds'" >&2
  echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
  exit 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${all_targets[@]}")
fi
for target in "${targets[@]}"; do
  if [[ " ${all_targets[*]} " != *" $target "* ]]; then
    echo "fuzz: unknown target '$target'; the targets are: ${all_targets[*]}" >&2
    exit 2
  fi
done

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: needs a nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi

# The pinned cargo-fuzz lives in its own folder, so that another version
# installed for other projects is left alone.
tools="${FUZZ_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/gateway-fuzz/cargo-fuzz-$cargo_fuzz_version}"
cargo_fuzz="$tools/bin/cargo-fuzz"
if ! "$cargo_fuzz" fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $cargo_fuzz_version"; then
  echo "fuzz: installing cargo-fuzz $cargo_fuzz_version into $tools" >&2
  cargo install --quiet --locked --root "$tools" cargo-fuzz --version "$cargo_fuzz_version"
fi

# cargo-fuzz runs `cargo`; this makes it the nightly one.
export RUSTUP_TOOLCHAIN=nightly
# -timeout is the most one input may take. An unoptimised build runs the
# engine's largest allowed work (limits::MAX_WORK) many times slower.
case "${FUZZ_BUILD:-release}" in
  release) profile=(--release --debug-assertions) timeout=30 ;;
  dev) profile=(--dev) timeout=120 ;;
  *)
    echo "fuzz: FUZZ_BUILD is release or dev, not '$FUZZ_BUILD'" >&2
    exit 2
    ;;
esac
build_flags=("${profile[@]}" --sanitizer "${FUZZ_SANITIZER:-address}"
  --target-dir "${FUZZ_TARGET_DIR:-$root/fuzz/target}")

"$cargo_fuzz" fuzz build "${build_flags[@]}"

case "${FUZZ_SEEDS:-repo}" in
  repo)
    if command -v python3 >/dev/null 2>&1; then
      python3 seed.py corpus
    else
      echo "fuzz: python3 not found; starting from fuzz/seeds/ alone" >&2
    fi
    ;;
  small) ;;
  *)
    echo "fuzz: FUZZ_SEEDS is repo or small, not '$FUZZ_SEEDS'" >&2
    exit 2
    ;;
esac

# libFuzzer's flags: -timeout and -rss_limit_mb (the process's memory; one
# allocation over it counts too) make a hang or an unbounded allocation a
# finding, like a panic.
# -max_len lets inputs grow to 64 KB: enough for deep nesting and whole
# configuration files.
libfuzzer_flags=(
  -max_total_time="$seconds"
  -timeout="$timeout"
  -rss_limit_mb=2048
  -max_len=65536
  -print_final_stats=1
)
dictionary() {
  case "$1" in
    template) echo dicts/template.dict ;;
    jsonpath) echo dicts/jsonpath.dict ;;
    config) echo dicts/config.dict ;;
    *) echo dicts/json.dict ;;
  esac
}

failed=()
for target in "${targets[@]}"; do
  echo "fuzz: $target for ${seconds}s" >&2
  log="$(mktemp)"
  mkdir -p "artifacts/$target" "corpus/$target"
  status=0
  "$cargo_fuzz" fuzz run "${build_flags[@]}" "$target" "corpus/$target" "seeds/$target" -- \
    "${libfuzzer_flags[@]}" -dict="$(dictionary "$target")" \
    -artifact_prefix="artifacts/$target/" >"$log" 2>&1 || status=$?
  grep -E '^(stat::|Done )' "$log" >&2 || true
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    artifacts="$(grep -oE 'artifacts/[a-z_]+/(crash|timeout|oom|leak)-[0-9a-f]+' "$log" | sort -u)"
    for artifact in $artifacts; do
      echo "fuzz: $target: finding kept in fuzz/$artifact" >&2
      echo "fuzz:   reproduce with: (cd fuzz && RUSTUP_TOOLCHAIN=nightly $cargo_fuzz fuzz run ${build_flags[*]} $target $artifact)" >&2
    done
    if [ -z "$artifacts" ]; then
      echo "fuzz: $target: exit status $status and no input kept; a stack overflow keeps its input only with FUZZ_SANITIZER=address" >&2
    fi
    failed+=("$target")
  fi
  rm -f "$log"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${targets[*]}: no finding in ${seconds}s each"
