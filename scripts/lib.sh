# shellcheck shell=bash
# Shared helpers for ./scripts/demo and ./scripts/test. Sourced, never run on its own.
#
# What lives here: locating the repository and the Cargo target dir, installing the Debian packages
# and tools the app needs (only what is missing), the UI build, and the timed "step" runner that the
# test script uses. Every helper either succeeds or stops the script with a message that says what
# to do next; nothing here ignores a failure.

FENDUO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Outside the clone, so a fresh clone (as CI makes) still builds incrementally.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fenduo/target}"
FENDUO_BIN="$CARGO_TARGET_DIR/debug/fenduo"

# Debian packages: build (compile the app), run (fonts, media, D-Bus), test (headless window, WebDriver).
# shellcheck disable=SC2034 # used by the scripts that source this file
{
  FENDUO_BUILD_PACKAGES=(libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev
    libayatana-appindicator3-dev librsvg2-dev libxdo-dev)
  FENDUO_RUN_PACKAGES=(fonts-noto-cjk fonts-noto-color-emoji dbus-x11 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
    gstreamer1.0-libav)
  FENDUO_TEST_PACKAGES=(xvfb xauth x11-utils imagemagick webkit2gtk-driver dbus dbus-x11 dunst
    libnotify-bin chromium ffmpeg gstreamer1.0-plugins-bad gstreamer1.0-gl)
}

# cargo-installed tools (tauri-driver) and a rustup toolchain live here.
if [[ -d "$HOME/.cargo/bin" && ":$PATH:" != *":$HOME/.cargo/bin:"* ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi

if [[ -t 1 ]]; then
  _B=$'\e[1m' _R=$'\e[31m' _G=$'\e[32m' _0=$'\e[0m'
else
  _B='' _R='' _G='' _0=''
fi

say() { printf '%s\n' "$*"; }
info() { printf '%s-->%s %s\n' "$_B" "$_0" "$*"; }
# die MESSAGE... : print to stderr and stop the script with status 1.
die() {
  printf '%sERROR:%s %s\n' "$_R" "$_0" "$1" >&2
  shift
  local line
  for line in "$@"; do printf '       %s\n' "$line" >&2; done
  exit 1
}

fmt_secs() {
  local s=$1
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

# --- Debian packages ---------------------------------------------------------------------------

pkg_installed() {
  # Not `dpkg -s | grep -q`: grep quits at the first match, dpkg dies of SIGPIPE, and pipefail
  # then reports an installed package as missing.
  local status
  status=$(dpkg -s "$1" 2>/dev/null) || return 1
  [[ $'\n'"$status" == *$'\nStatus: install ok installed\n'* ]]
}

# ensure_packages PKG... : install the packages that are missing, with apt-get (as root, or with
# `sudo -n`). FENDUO_EXTRA_PACKAGES (space-separated) adds names to the list, which is how the
# "missing package" path is tested. Stops with the exact command to run when it cannot install.
ensure_packages() {
  local -a wanted=("$@") missing=()
  local -A seen=()
  local p
  # shellcheck disable=SC2206 # word splitting is the point: a space-separated list
  [[ -n "${FENDUO_EXTRA_PACKAGES:-}" ]] && wanted+=(${FENDUO_EXTRA_PACKAGES})
  for p in "${wanted[@]}"; do
    [[ -z "${seen[$p]:-}" ]] || continue
    seen[$p]=1
    pkg_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    info "Debian packages: all ${#seen[@]} present"
    return 0
  fi

  local cmd="apt-get update && apt-get install -y ${missing[*]}"
  local -a sudo=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      die "missing Debian packages: ${missing[*]}" \
        "This script installs them itself when run as root or with password-less sudo; it can do neither here." \
        "Install them, then run it again:" \
        "  sudo sh -c '$cmd'"
    fi
  fi

  info "Installing missing Debian packages: ${missing[*]}"
  if [[ -z "${_FENDUO_APT_UPDATED:-}" ]]; then
    if ! "${sudo[@]}" apt-get update; then
      die "apt-get update failed (is a Debian package mirror reachable?)." \
        "Missing packages: ${missing[*]}" \
        "Install them, then run this again:" \
        "  sudo sh -c '$cmd'"
    fi
    _FENDUO_APT_UPDATED=1
  fi
  if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; then
    die "apt-get could not install: ${missing[*]}" \
      "Install them, then run this again:" \
      "  sudo sh -c '$cmd'"
  fi
}

# --- tools -------------------------------------------------------------------------------------

require_display() {
  [[ -n "${DISPLAY:-}" || -n "${WAYLAND_DISPLAY:-}" ]] && return 0
  local xvfb_hint=''
  command -v xvfb-run >/dev/null 2>&1 || xvfb_hint=' (xvfb-run comes with: apt-get install xvfb xauth)'
  die "no display: neither DISPLAY nor WAYLAND_DISPLAY is set, so the app window has nowhere to open." \
    "Run it on the desktop (a terminal inside the graphical session), or in a virtual display:" \
    "  xvfb-run -a -s \"-screen 0 1920x1080x24\" ./scripts/demo${xvfb_hint}"
}

require_toolchain() {
  command -v cargo >/dev/null 2>&1 ||
    die "cargo not found (Rust is needed to build the app)." \
      "Install Rust with rustup (https://rustup.rs), then open a new shell:" \
      "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh"
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    die "node and npm not found (Node.js 20.19 or newer builds the UI and runs the end-to-end tests)." \
      "Install Node.js 20.19+ with npm (https://nodejs.org), then run this again."
  fi
  # ui/package.json asks for >= 20.19 (Vite).
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
    die "Node.js $(node --version) is too old: the UI needs 20.19 or newer (https://nodejs.org)."
  info "$(cargo --version), node $(node --version), npm $(npm --version)"
}

ensure_tauri_driver() {
  if command -v tauri-driver >/dev/null 2>&1; then
    info "tauri-driver: $(command -v tauri-driver)"
    return 0
  fi
  info "Installing tauri-driver (cargo install tauri-driver --version '^2' --locked)"
  cargo install tauri-driver --version '^2' --locked
  command -v tauri-driver >/dev/null 2>&1 || die "tauri-driver was installed but is not on PATH ($HOME/.cargo/bin)."
}

# The hub's PostgreSQL tests need a server on 127.0.0.1:5432. Start the local cluster if it is down.
ensure_postgres() {
  if ! command -v pg_isready >/dev/null 2>&1; then
    info "PostgreSQL: not installed here (pg_isready not found); the tests that need it will say so"
    return 0
  fi
  if pg_isready -q -h 127.0.0.1; then
    info "PostgreSQL: accepting connections on 127.0.0.1"
    return 0
  fi
  local version
  version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$version" ]] || die "PostgreSQL is down and no cluster is configured under /etc/postgresql."
  info "PostgreSQL is down: starting cluster $version/main"
  local -a sudo=()
  ((EUID == 0)) || sudo=(sudo -n)
  "${sudo[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
    die "could not start PostgreSQL." "Start it yourself: sudo pg_ctlcluster $version main start"
  local i
  for i in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 && return 0
    sleep 1
  done
  die "PostgreSQL was started but does not accept connections on 127.0.0.1 after 30 s."
}

# --- builds ------------------------------------------------------------------------------------

# npm ci in ui/, skipped when node_modules was installed from this very package-lock.json with
# this Node version (the stamp is written only after a successful install).
ui_install() {
  local ui="$FENDUO_ROOT/ui" stamp want
  [[ -f "$ui/package-lock.json" ]] || die "ui/package-lock.json is missing: the UI's dependencies are not pinned."
  stamp="$ui/node_modules/.fenduo-npm-ci.stamp"
  want="$(sha256sum <"$ui/package-lock.json" | cut -d' ' -f1) node-$(node --version)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    say "ui/node_modules is up to date with package-lock.json (skipping npm ci)"
    return 0
  fi
  (cd "$ui" && npm ci --no-audit --no-fund)
  printf '%s\n' "$want" >"$stamp"
}

ui_build() {
  (cd "$FENDUO_ROOT/ui" && npm run build)
}

app_build() {
  (cd "$FENDUO_ROOT" && cargo build -p fenduo)
  [[ -x "$FENDUO_BIN" ]] || die "cargo built fenduo but $FENDUO_BIN is not there."
}

# --- timed steps -------------------------------------------------------------------------------
# step NAME COMMAND... : run one command under a header and record how long it took. A failing
# command stops the script (set -e); the EXIT trap from steps_begin then names the failed step.
# Never call `step` inside `if`, `&&` or `||`: bash would then ignore failures inside it.

_STEP_NAMES=()
_STEP_TIMES=()
_STEP_CURRENT=''
_STEP_STARTED=0
_STEPS_T0=0

steps_begin() {
  _STEPS_T0=$SECONDS
  trap '_steps_on_exit $?' EXIT
}

step() {
  local name=$1
  shift
  _STEP_CURRENT=$name
  _STEP_STARTED=$SECONDS
  printf '\n%s==> [%d] %s%s\n' "$_B" $((${#_STEP_NAMES[@]} + 1)) "$name" "$_0"
  printf '    $ %s\n' "$*"
  "$@"
  local took=$((SECONDS - _STEP_STARTED))
  _STEP_NAMES+=("$name")
  _STEP_TIMES+=("$took")
  _STEP_CURRENT=''
  printf '%s<== ok%s %s (%s)\n' "$_G" "$_0" "$name" "$(fmt_secs "$took")"
}

_steps_on_exit() {
  local rc=$1 i
  trap - EXIT
  printf '\n%sStep timings%s\n' "$_B" "$_0"
  for i in "${!_STEP_NAMES[@]}"; do
    printf '  ok      %8s  %s\n' "$(fmt_secs "${_STEP_TIMES[$i]}")" "${_STEP_NAMES[$i]}"
  done
  if [[ -n "$_STEP_CURRENT" ]]; then
    printf '  FAILED  %8s  %s\n' "$(fmt_secs $((SECONDS - _STEP_STARTED)))" "$_STEP_CURRENT"
  fi
  local total
  total=$(fmt_secs $((SECONDS - _STEPS_T0)))
  if ((rc == 0)); then
    printf '%sfenduo test: all %d steps passed in %s%s\n' "$_G" "${#_STEP_NAMES[@]}" "$total" "$_0"
  elif [[ -n "$_STEP_CURRENT" ]]; then
    printf '%sfenduo test: FAILED at step "%s" (exit %d) after %d steps passed, in %s%s\n' \
      "$_R" "$_STEP_CURRENT" "$rc" "${#_STEP_NAMES[@]}" "$total" "$_0"
  else
    printf '%sfenduo test: FAILED (exit %d) after %d steps passed, in %s%s\n' \
      "$_R" "$rc" "${#_STEP_NAMES[@]}" "$total" "$_0"
  fi
  exit "$rc"
}
