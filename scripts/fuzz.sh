#!/usr/bin/env bash
# Fuzzes the gateway's untrusted-input parsers with the libFuzzer targets in
# fuzz/ (see fuzz/fuzz_targets/*.rs):
#   template     template text: compile, then render over a fixed request
#   render_body  the shipped templates rendered over an arbitrary body
#   jsonpath     JSONPath text: compile, then query a few documents
#   json_guard   the template-injection guard over arbitrary bytes
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
# FUZZ_SANITIZER chooses the sanitizer: none by default, as the code is safe
# Rust; `address` adds AddressSanitizer for the dependencies' unsafe code, at
# about half the speed.
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
build_flags=(--sanitizer "${FUZZ_SANITIZER:-none}" --debug-assertions)

"$cargo_fuzz" fuzz build "${build_flags[@]}"

if command -v python3 >/dev/null 2>&1; then
  python3 seed.py corpus
else
  echo "fuzz: python3 not found; starting from fuzz/seeds/ alone" >&2
fi

# libFuzzer's flags: -timeout (seconds for one input) and -rss_limit_mb
# (the process's memory; one allocation over it counts too) make a hang or
# an unbounded allocation a finding, like a panic.
# -max_len lets inputs grow to 64 KB: enough for deep nesting and whole
# configuration files.
libfuzzer_flags=(
  -max_total_time="$seconds"
  -timeout=10
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
  mkdir -p "artifacts/$target"
  status=0
  "$cargo_fuzz" fuzz run "${build_flags[@]}" "$target" "corpus/$target" "seeds/$target" -- \
    "${libfuzzer_flags[@]}" -dict="$(dictionary "$target")" \
    -artifact_prefix="artifacts/$target/" >"$log" 2>&1 || status=$?
  grep -E '^(stat::|Done )' "$log" >&2 || true
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$log" >&2
    for artifact in $(grep -oE 'artifacts/[a-z_]+/(crash|timeout|oom|leak)-[0-9a-f]+' "$log" | sort -u); do
      echo "fuzz: $target: finding kept in fuzz/$artifact" >&2
      echo "fuzz:   reproduce with: (cd fuzz && RUSTUP_TOOLCHAIN=nightly $cargo_fuzz fuzz run ${build_flags[*]} $target $artifact)" >&2
    done
    failed+=("$target")
  fi
  rm -f "$log"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${targets[*]}: no finding in ${seconds}s each"
