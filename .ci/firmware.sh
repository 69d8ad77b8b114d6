#!/usr/bin/env bash
# Firmware tests (issues 5 and 9): builds the `firmware/` crate for three
# Cortex-M targets with no global allocator, and boots each program under
# qemu-system-arm; boots the build with a checked heap (`--features heap`)
# on one; builds the no-embassy program for
# riscv32imc; then checks that deliberately broken builds fail (or, for an
# allocation without a heap, do not link).
# Each QEMU run must exit 0 through semihosting (and print PASS); any other
# status, a missing PASS, or a hang past the timeout fails this script.
#
# Idempotent, non-interactive (CI=true, no stdin). Installs qemu-system-arm
# with apt-get and the rustup targets if they are missing.
#   FIRMWARE_NEGATIVE=0   skip the broken-build checks
#   FIRMWARE_ICOUNT=...   QEMU's -icount option (default shift=5,sleep=off:
#                         the guest clock follows executed instructions, so
#                         every run is the same whatever the host load; set
#                         it empty to run on the host's clock instead)
#   FIRMWARE_RISCV_RUN=1  also boot the riscv32imc build under
#                         qemu-system-riscv32 (Debian's qemu-system-misc; not
#                         installed by this script)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
started=$SECONDS
run_timeout=60
icount="${FIRMWARE_ICOUNT-shift=5,sleep=off}"
passed=0
failed=0

log() { printf '\n=== firmware: %s\n' "$*"; }

# --- tools -------------------------------------------------------------------
if ! command -v qemu-system-arm >/dev/null 2>&1; then
    log "installing qemu-system-arm"
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends qemu-system-arm
fi
qemu-system-arm --version | head -n 1

targets=(thumbv7m-none-eabi thumbv6m-none-eabi thumbv7em-none-eabihf riscv32imc-unknown-none-elf)
installed="$(rustup target list --installed)"
for t in "${targets[@]}"; do
    if ! grep -qx "$t" <<<"$installed"; then
        rustup target add "$t"
    fi
done

# --- helpers -----------------------------------------------------------------
# Cargo must run from inside firmware/ (its .cargo/config.toml holds the
# linker script flags), and a RUSTFLAGS variable would silently replace them.
# No --locked: firmware/Cargo.lock follows the stateword crate beside it,
# whose dependencies may change in the same commit.
fw_cargo() {
    (cd "$root/firmware" &&
        env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS -u CARGO_BUILD_TARGET \
            cargo "$@" --release --target-dir target)
}

machine_args() { # target -> qemu-system-arm machine options
    case "$1" in
        thumbv7m-none-eabi) echo "-cpu cortex-m3 -machine lm3s6965evb" ;;
        thumbv6m-none-eabi) echo "-cpu cortex-m0 -machine microbit" ;;
        thumbv7em-none-eabihf) echo "-cpu cortex-m4 -machine mps2-an386" ;;
        *) return 1 ;;
    esac
}

# boot TARGET BIN EXPECT: EXPECT is "pass" (exit 0 and a PASS line) or
# "fail" (exit non-zero, not a timeout, with a FAIL line).
boot() {
    local target=$1 bin=$2 expect=$3 out rc=0 qemu
    local elf="$root/firmware/target/$target/release/$bin"
    if [ "$target" = riscv32imc-unknown-none-elf ]; then
        qemu=(qemu-system-riscv32 -machine virt -bios none)
    else
        # shellcheck disable=SC2207
        qemu=(qemu-system-arm $(machine_args "$target"))
    fi
    if [ -n "$icount" ]; then qemu+=(-icount "$icount"); fi
    out="$(timeout "$run_timeout" "${qemu[@]}" -nographic \
        -semihosting-config enable=on,target=native -kernel "$elf" </dev/null 2>&1)" || rc=$?
    # QEMU's "Timer with period zero" notice is harmless noise.
    out="$(grep -v 'Timer with period zero' <<<"$out" || true)"
    printf '%s\n' "$out" | sed "s/^/  [$target $bin] /"
    local ok=0
    case "$expect" in
        pass) [ "$rc" = 0 ] && grep -q '^PASS' <<<"$out" && ok=1 ;;
        fail) [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ "$rc" != 137 ] && grep -q '^FAIL' <<<"$out" && ok=1 ;;
    esac
    if [ "$ok" = 1 ]; then
        echo "  ok: $target $bin exited $rc (expected $expect)"
        passed=$((passed + 1))
    else
        echo "  NOT OK: $target $bin exited $rc (expected $expect; 124 = timeout)"
        failed=$((failed + 1))
    fi
}

# --- the test programs on each machine ---------------------------------------
# The default build: no #[global_allocator]
# at all, so linking proves nothing allocates (checked below too).
for target in thumbv7m-none-eabi thumbv6m-none-eabi thumbv7em-none-eabihf; do
    log "build $target (no allocator)"
    fw_cargo build --target "$target" --bins
    log "boot $target ($(machine_args "$target"))"
    for bin in embassy bare connection; do
        boot "$target" "$bin" pass
    done
done

# With a checked heap, on one machine.
log "build thumbv7em-none-eabihf --features heap (checked heap)"
fw_cargo build --target thumbv7em-none-eabihf --bins --features heap
for bin in embassy bare; do
    boot thumbv7em-none-eabihf "$bin" pass
done

log "build riscv32imc-unknown-none-elf (no-embassy program; build only)"
fw_cargo build --target riscv32imc-unknown-none-elf --bin bare
if [ "${FIRMWARE_RISCV_RUN:-0}" = 1 ]; then
    boot riscv32imc-unknown-none-elf bare pass
fi

# --- broken builds must fail -------------------------------------------------
# Each feature breaks the test on purpose (a state the handler never sets, a
# level-triggered wait that misses the transient, an allocation in the
# handler, which needs `--features heap`); the firmware must notice and exit
# non-zero by itself.
if [ "${FIRMWARE_NEGATIVE:-1}" = 1 ]; then
    for feature in broken-never-set broken-level-wait broken-isr-alloc; do
        log "broken build ($feature) must fail"
        fw_cargo build --target thumbv7m-none-eabi --bin embassy --bin bare --features "$feature"
        for bin in embassy bare; do
            boot thumbv7m-none-eabi "$bin" fail
        done
    done
    # Without a heap, an allocation anywhere must stop the link.
    log "broken build (broken-link-alloc: an allocation, no allocator) must not link"
    if out="$(fw_cargo build --target thumbv7m-none-eabi --bin bare --features broken-link-alloc 2>&1)"; then
        echo "  NOT OK: an allocating program without an allocator linked"
        failed=$((failed + 1))
    elif grep -q "no global memory allocator" <<<"$out"; then
        echo "  ok: the link failed for want of a global allocator"
        passed=$((passed + 1))
    else
        printf '%s\n' "$out" | tail -n 20
        echo "  NOT OK: the build failed, but not for want of an allocator"
        failed=$((failed + 1))
    fi
    # Leave the normal thumbv7m programs in place for whoever looks next.
    fw_cargo build --target thumbv7m-none-eabi --bins
fi

log "done in $((SECONDS - started)) s"
echo "firmware: $passed passed, $failed failed"
[ "$failed" = 0 ]
