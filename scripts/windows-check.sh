#!/usr/bin/env bash
# Type-checks every target of the crate for x86_64-pc-windows-gnu and runs its tests under Wine,
# on Debian bookworm, without rustup: Debian ships a recent rustc with its std sources, so std is
# built for the Windows target with -Zbuild-std (RUSTC_BOOTSTRAP allows that on a stable compiler).
#
# Meant for CI (root, CI=true, no stdin), also fine on a developer's bookworm box (it then needs
# root only for the first apt-get). Extra arguments go to `cargo test` (e.g. a test name filter).
#
# Wine 8 cannot create junctions (FSCTL_SET_REPARSE_POINT fails with ERROR_NOT_SUPPORTED), so the
# tests that need a real junction skip themselves at run time and print a line this script counts.
set -euo pipefail
exec </dev/null

cd "$(dirname "$0")/.."
started=$SECONDS
phase() { echo "== $1 ($((SECONDS - started))s)"; }

packages=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 wine64)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  phase "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -q "${missing[@]}" >/dev/null
fi

# Debian's toolchain lives in /usr/bin; a rustup toolchain earlier on PATH must not be picked up,
# since only Debian's ships the std sources build-std needs (rust-web-src).
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
cargo=/usr/bin/cargo
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
# Debian's wine64 package has no `wine` wrapper on PATH without the `wine` package; call wine64.
wine_bin=$(command -v wine64 || command -v wine || echo /usr/lib/wine/wine64)
# The runner goes in --config, not in CARGO_TARGET_..._RUNNER: assert_cmd reads that variable and
# would then start the binary under test through wine from inside wine, which fails.
unset CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER
# Its own target dir: the host build and this one would otherwise invalidate each other.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target/windows-gnu}
export WINEPREFIX=${WINEPREFIX:-${HOME:-/root}/.cache/comfydoctor-wine}
# No GUI, no Mono/Gecko installers, no debug chatter.
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY=
xc=(-Zbuild-std=std,panic_abort --target x86_64-pc-windows-gnu
  --config "target.x86_64-pc-windows-gnu.runner = ['$wine_bin']")

phase "cargo check (windows-gnu, all targets)"
# Warnings fail the check, as clippy -D warnings does on the workflow's Windows runner; they are
# counted from the output (RUSTFLAGS=-Dwarnings would rebuild std with build-std).
checklog=$(mktemp)
"$cargo" check "${xc[@]}" --all-targets --locked 2>&1 | tee "$checklog"
if grep -q '^warning' "$checklog"; then
  echo "windows-check: the Windows build has warnings (above); fix them or scope them with cfg" >&2
  rm -f "$checklog"
  exit 1
fi
rm -f "$checklog"

# Rust's std (>= 1.78) imports bcryptprimitives.dll!ProcessPrng, which Wine 8 lacks; a tiny DLL
# forwarding to RtlGenRandom (SystemFunction036) stands in for it inside this prefix only.
shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$shim" ]; then
  phase "preparing wine prefix $WINEPREFIX"
  mkdir -p "$WINEPREFIX"
  "$wine_bin" wineboot -i >/dev/null 2>&1 || true
  wineserver -w 2>/dev/null || true
  src=$(mktemp -d)
  cat >"$src/b.c" <<'C'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID, ULONG);
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE p, SIZE_T n) {
  while (n) {
    ULONG c = n > 0x10000000 ? 0x10000000 : (ULONG)n;
    if (!SystemFunction036(p, c)) return FALSE;
    p += c; n -= c;
  }
  return TRUE;
}
C
  x86_64-w64-mingw32-gcc -O2 -shared -o "$shim" "$src/b.c" -ladvapi32
  rm -rf "$src"
fi

phase "cargo test (windows-gnu, under wine)"
# Wine's volumes report no reparse points (it cannot make junctions), so every install would be
# links-unsupported; the tests' children are told they are on NTFS, as on real Windows
# (tests/it/support/run.rs). The tests that need a real junction still detect Wine and skip.
export COMFYDOCTOR_WINE_FSTYPE=ntfs
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
"$cargo" test "${xc[@]}" --locked --no-fail-fast "$@" -- --nocapture 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "junction tests skipped: $(grep -c 'skipped: wine cannot create junctions' "$log" || true)"
echo "all wine-limit skips: $(grep -c 'skipped: wine' "$log" || true)"
phase "done, exit $status"
exit "$status"
