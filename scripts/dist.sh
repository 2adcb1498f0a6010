#!/usr/bin/env bash
# Release binaries into dist/: a static Linux binary (x86_64-unknown-linux-musl) and a Windows one
# (x86_64-pc-windows-gnu), with SHA256SUMS. Not part of CI; run by hand on Debian bookworm (root,
# or sudo for the first apt-get).
#
#   bash scripts/dist.sh            # both targets
#   bash scripts/dist.sh musl       # only one: musl | windows
#
# Windows: the recipe of scripts/windows-check.sh, without rustup: Debian's rustc with its std
# sources builds std for the target (-Zbuild-std; RUSTC_BOOTSTRAP allows that on a stable
# compiler), linked by mingw-w64.
# musl: rustup's target when it is installed (or `rustup target add` can fetch it); otherwise, or
# with DIST_TOOLCHAIN=debian, the same Debian recipe, linked by musl-gcc against Debian's musl.
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/.."
started=$SECONDS
phase() { echo "== $1 ($((SECONDS - started))s)"; }

targets=("$@")
((${#targets[@]})) || targets=(musl windows)
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
out=dist
mkdir -p "$out"

apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  phase "installing ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -q "${missing[@]}" >/dev/null
}

# Cargo of Debian's toolchain, building std for the target (see the header).
debian_cargo() {
  RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 /usr/bin/cargo "$@" -Zbuild-std=std,panic_abort
}

has_rustup_target() {
  [ "${DIST_TOOLCHAIN:-}" != debian ] || return 1
  command -v rustup >/dev/null || return 1
  rustup target list --installed 2>/dev/null | grep -qx "$1" && return 0
  # A toolchain that cannot reach its server would hang here: give it a minute.
  timeout 60 rustup target add "$1" >/dev/null 2>&1
}

# Each target its own target dir: the host build and these would otherwise invalidate each other.
build() { # target, then the cargo command to use
  local target=$1
  shift
  phase "cargo build --release ($target)"
  CARGO_TARGET_DIR=$PWD/target/dist "$@" build --release --locked --target "$target" --bin comfydoctor
}

for t in "${targets[@]}"; do
  case $t in
    musl)
      target=x86_64-unknown-linux-musl
      if has_rustup_target "$target"; then
        build "$target" cargo
      else
        apt_install rustc-web cargo-web rust-web-src musl-tools libunwind-14-dev
        # rustup's target brings its own static libunwind; Debian's musl has none, so LLVM's
        # (self-contained, as Alpine uses it) stands in, with the one glibc symbol it calls
        # (__fprintf_chk, from its fortified build) given to it here. A static (non-PIE) link:
        # musl-gcc would make a -static-pie binary that still asks for ld-musl.
        unwind=$PWD/target/dist/musl-unwind
        mkdir -p "$unwind"
        cat >"$unwind/fortify.c" <<'C'
#include <stdarg.h>
#include <stdio.h>
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...) {
  va_list ap;
  (void)flag;
  va_start(ap, fmt);
  int n = vfprintf(f, fmt, ap);
  va_end(ap);
  return n;
}
C
        musl-gcc -O2 -c -o "$unwind/fortify.o" "$unwind/fortify.c"
        cp /usr/lib/llvm-14/lib/libunwind.a "$unwind/libunwind.a"
        ar rs "$unwind/libunwind.a" "$unwind/fortify.o"
        CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=musl-gcc \
          RUSTFLAGS="-C target-feature=+crt-static -C link-self-contained=no -C relocation-model=static -L $unwind" \
          build "$target" debian_cargo
      fi
      bin=target/dist/$target/release/comfydoctor
      # Static means no interpreter: `file` says "statically linked" (or "static-pie linked").
      if command -v file >/dev/null && ! file "$bin" | grep -q 'static.*linked'; then
        echo "dist: $bin is not statically linked: $(file "$bin")" >&2
        exit 1
      fi
      cp "$bin" "$out/comfydoctor-$version-$target"
      ;;
    windows)
      target=x86_64-pc-windows-gnu
      apt_install rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64
      CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc build "$target" debian_cargo
      cp "target/dist/$target/release/comfydoctor.exe" "$out/comfydoctor-$version-$target.exe"
      ;;
    *)
      echo "dist: unknown target '$t' (musl or windows)" >&2
      exit 2
      ;;
  esac
done

phase "SHA256SUMS"
(cd "$out" && rm -f SHA256SUMS && sha256sum comfydoctor-* >SHA256SUMS && cat SHA256SUMS)
phase "done: $out/"
