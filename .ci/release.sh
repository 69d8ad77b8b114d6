#!/usr/bin/env bash
# Release readiness for stateword and stateword-derive (issue 7):
#   1. the library builds with the declared minimum supported Rust version
#      (`rust-version`), installed with rustup;
#   2. every example runs and exits 0;
#   3. `cargo package` succeeds for both crates, stateword-derive first;
#   4. the docs build clean the way docs.rs builds them.
#
# Idempotent and non-interactive: runs with CI=true and no stdin, on a fresh
# clone or a working tree, and installs the toolchains it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never
export CARGO_INCREMENTAL=0
start=$SECONDS
step() { printf '\n=== %s (%ds)\n' "$*" $((SECONDS - start)); }

rust_version() { sed -n 's/^rust-version = "\(.*\)"$/\1/p' "$1" | head -n 1; }
msrv=$(rust_version Cargo.toml)
derive_msrv=$(rust_version derive/Cargo.toml)
if [ -z "$msrv" ] || [ "$msrv" != "$derive_msrv" ]; then
  echo "rust-version must be set, and the same, in Cargo.toml ('$msrv') and derive/Cargo.toml ('$derive_msrv')" >&2
  exit 1
fi

step "toolchains: $msrv (rust-version), nightly (docs)"
# Installed only where missing: a present nightly is not updated under the
# feet of other CI steps that use it (Miri, ThreadSanitizer).
for toolchain in "$msrv" nightly; do
  if ! rustup run "$toolchain" rustc --version 2>/dev/null; then
    rustup toolchain install "$toolchain" --profile minimal --no-self-update
  fi
done

step "minimum supported Rust version: the library builds with $msrv"
# Only the library and its normal dependencies, at the versions Cargo.lock
# pins (`--locked`): dev-dependencies (tokio, criterion, ...) may need a newer
# compiler and are not built for `--lib`. An own target dir, so the stable
# builds' artifacts are not thrown away.
for features in "" "--no-default-features" "--all-features"; do
  echo "cargo +$msrv build --lib $features"
  # shellcheck disable=SC2086 # $features is zero or more words
  cargo "+$msrv" build --locked --lib $features --target-dir target/msrv
done

step "examples"
for example in examples/*.rs; do
  name=$(basename "$example" .rs)
  echo "--- cargo run --example $name"
  timeout 120 cargo run --quiet --locked --example "$name"
done

step "cargo package: stateword-derive, then stateword"
# stateword depends on stateword-derive by path and `=` version, and that
# version is not on crates.io yet: packaging stateword alone fails to resolve
# it. Packaging both in one run (cargo >= 1.89) packs stateword-derive first
# and verifies stateword against it through a local registry.
dirty=()
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  echo "note: the working tree has uncommitted changes; packaging it as it is"
  dirty=(--allow-dirty)
fi
cargo package --locked "${dirty[@]}" -p stateword-derive -p stateword
ls -l target/package/*.crate

step "docs, as docs.rs builds them"
RUSTDOCFLAGS="-D warnings --cfg docsrs" \
  cargo +nightly doc --locked --workspace --no-deps --all-features --target-dir target/docsrs

step "done"
echo "release checks passed: rust-version $msrv, $(ls examples/*.rs | wc -l) examples, 2 packages, docs"
