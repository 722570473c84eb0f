# scripts/lib.sh — shared helpers for scripts/demo, scripts/test and scripts/build (sourced, not run).
# Installs missing Debian packages (apt-get; as root or through sudo) and builds with CMake.

set -euo pipefail

TEXTLRP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Build dependencies, from Debian 12 packages.
TEXTLRP_BUILD_PACKAGES=(build-essential cmake ccache pkg-config libeigen3-dev libicu-dev libsentencepiece-dev
  libfmt-dev nlohmann-json3-dev libcli11-dev liblinear-dev libfasttext-dev)
# Test dependencies: Catch2 v2, Chromium for the browser test, binutils (objdump) and qemu-user (an
# emulated CPU without AVX) for the ISA tests (tests/cli/cli_isa_*.sh).
TEXTLRP_TEST_PACKAGES=(catch2 chromium python3 binutils qemu-user)

log() { printf 'textlrp: %s\n' "$*" >&2; }

# ensure_packages PKG...: installs the packages that are not installed yet.
ensure_packages() {
  local missing=()
  local p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  log "installing missing packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq || log "apt-get update failed; trying the install anyway"
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# build DIR BUILD_TYPE TARGET [extra cmake args...]: configures DIR and builds TARGET (all = everything).
build() {
  local dir="$1" type="$2" target="$3"
  shift 3
  local launcher=()
  if command -v ccache >/dev/null; then
    # ccache, with paths relative to the source tree: a second build directory of the same tree
    # (tests/cli/cli_explain_only.sh's build-explain-only/) then reuses every object that the
    # options do not change.
    export CCACHE_BASEDIR="$TEXTLRP_ROOT"
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  cmake -S "$TEXTLRP_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="$type" "${launcher[@]}" "$@" >&2
  cmake --build "$dir" --target "$target" -j "$(nproc)" >&2
}
