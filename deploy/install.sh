#!/usr/bin/env bash
# Installs nibble as a systemd service on Raspberry Pi OS (Bookworm or later).
#
#   git clone <nibble> && cd nibble && npm install && sudo ./deploy/install.sh
#
# arm64 (64-bit Raspberry Pi OS) is the target. armhf (32-bit) is best effort
# and untested: the WebAssembly engine runs there, but the native add-ons
# (better-sqlite3, serialport, epoll for onoff) must build or find prebuilds.
#
# What it does: checks the OS and Node (>= 20), copies the built nibble to
# /opt/nibble and installs its runtime dependencies there, creates the system
# user "nibble" (groups gpio and dialout), writes /etc/nibble/config.yaml from
# deploy/config.example.yaml (an existing one is kept), installs and enables
# systemd/nibble.service, and says how to get a model and ask a question.
#
# NIBBLE_ROOT=/some/dir installs into that folder instead of / (packaging and
# the project's tests): nothing is started, and `systemctl --root` enables the
# unit offline. User and group commands still run through PATH.
# shellcheck disable=SC1090  # /etc/os-release is sourced (in subshells) by path
set -euo pipefail

ROOT="${NIBBLE_ROOT:-}"
SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX=/opt/nibble
USER_NAME=nibble
OS_RELEASE="${NIBBLE_OS_RELEASE:-/etc/os-release}"

say() { printf 'nibble install: %s\n' "$*"; }
warn() { printf 'nibble install: warning: %s\n' "$*" >&2; }
die() { printf 'nibble install: error: %s\n' "$*" >&2; exit 1; }

if [[ -z "$ROOT" && "$(id -u)" -ne 0 ]]; then
  die "run it as root: sudo $0"
fi

# --- the system --------------------------------------------------------------
if [[ -r "$OS_RELEASE" ]]; then
  os_id="$(. "$OS_RELEASE"; echo "${ID:-unknown}")"
  os_version="$(. "$OS_RELEASE"; echo "${VERSION_ID:-0}")"
  os_name="$(. "$OS_RELEASE"; echo "${PRETTY_NAME:-$os_id}")"
  case "$os_id" in
    debian|raspbian) ;;
    *) warn "$os_name is not Raspberry Pi OS or Debian; going on, but only Raspberry Pi OS Bookworm and later are supported" ;;
  esac
  if [[ "$os_id" =~ ^(debian|raspbian)$ && "${os_version%%.*}" =~ ^[0-9]+$ && "${os_version%%.*}" -lt 12 ]]; then
    die "$os_name is older than Bookworm (Debian 12); nibble needs Raspberry Pi OS Bookworm or later"
  fi
else
  warn "cannot read $OS_RELEASE; skipping the OS check"
fi

arch="$(uname -m)"
case "$arch" in
  aarch64|arm64) ;;
  armv7l|armv6l) warn "32-bit ARM ($arch) is best effort and untested; 64-bit Raspberry Pi OS is recommended" ;;
  x86_64) warn "x86_64: fine for trying nibble out; GPIO will report itself unavailable" ;;
  *) warn "$arch is untested" ;;
esac

node_bin="$(command -v node || true)"
[[ -n "$node_bin" ]] || die "Node.js is not installed; nibble needs Node >= 20 (Raspberry Pi OS Bookworm: install it from NodeSource, https://github.com/nodesource/distributions)"
node_version="$("$node_bin" -p 'process.versions.node')"
node_major="${node_version%%.*}"
if [[ ! "$node_major" =~ ^[0-9]+$ || "$node_major" -lt 20 ]]; then
  die "Node.js $node_version at $node_bin is too old; nibble needs Node >= 20 (Bookworm's own nodejs package is 18: install Node 20 or 22 from NodeSource)"
fi
say "Node.js $node_version at $node_bin, $arch"

[[ -f "$SRC/dist/cli/main.js" ]] || die "$SRC is not built: run 'npm install' in $SRC first (it builds dist/ and the kernels)"
[[ -f "$SRC/kernels/build/nibble-simd128.wasm" ]] || die "$SRC/kernels/build is missing: run 'npm install' (or 'npm run build:kernels') in $SRC first"

# --- the files ---------------------------------------------------------------
dest="$ROOT$PREFIX"
say "installing to $dest"
mkdir -p "$dest"
# A fresh copy of the program; node_modules is reinstalled below for production only.
rm -rf "${dest:?}/bin" "${dest:?}/dist" "${dest:?}/kernels" "${dest:?}/deploy" "${dest:?}/systemd"
mkdir -p "$dest/kernels"
cp -R "$SRC/bin" "$SRC/dist" "$SRC/deploy" "$SRC/systemd" "$dest/"
cp -R "$SRC/kernels/build" "$dest/kernels/build"
cp "$SRC/package.json" "$SRC/package-lock.json" "$dest/"
[[ -f "$SRC/README.md" ]] && cp "$SRC/README.md" "$dest/"
chmod 0755 "$dest/bin/nibble"

# Native add-ons: better-sqlite3 and serialport come with prebuilds for arm64;
# epoll (used by onoff) is compiled, so a C++ compiler and python3 are needed.
if ! command -v g++ >/dev/null || ! command -v make >/dev/null || ! command -v python3 >/dev/null; then
  say "installing build tools for the native add-ons (g++, make, python3)"
  apt-get install -y --no-install-recommends g++ make python3 || die "could not install g++, make and python3 (apt-get install g++ make python3)"
fi
say "installing runtime dependencies (npm ci --omit=dev)"
# --ignore-scripts skips nibble's own "prepare" (it needs the dev tools);
# the add-ons are then built by "npm rebuild", which runs their install scripts.
(cd "$dest" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3 @serialport/bindings-cpp epoll) \
  || die "npm could not install nibble's dependencies in $dest (see above)"

mkdir -p "$ROOT/usr/local/bin"
ln -sfn "$PREFIX/bin/nibble" "$ROOT/usr/local/bin/nibble"

# --- the user ----------------------------------------------------------------
if getent passwd "$USER_NAME" >/dev/null; then
  say "user $USER_NAME exists"
else
  say "creating system user $USER_NAME"
  useradd --system --user-group --home-dir /var/lib/nibble --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
fi
for group in gpio dialout; do
  if getent group "$group" >/dev/null; then
    usermod -a -G "$group" "$USER_NAME"
  else
    warn "no group $group on this system (not a Raspberry Pi?): the $( [[ $group == gpio ]] && echo GPIO || echo serial ) plugin may lack permission"
  fi
done

# --- the config --------------------------------------------------------------
conf_dir="$ROOT/etc/nibble"
mkdir -p "$conf_dir"
if [[ -f "$conf_dir/config.yaml" ]]; then
  say "keeping the existing /etc/nibble/config.yaml (the new example is at $PREFIX/deploy/config.example.yaml)"
else
  install -m 0640 "$SRC/deploy/config.example.yaml" "$conf_dir/config.yaml"
  chgrp "$USER_NAME" "$conf_dir/config.yaml" 2>/dev/null || warn "could not give group $USER_NAME read access to /etc/nibble/config.yaml"
  say "wrote /etc/nibble/config.yaml (edit it, then: sudo systemctl restart nibble)"
fi

# --- the service -------------------------------------------------------------
unit_dir="$ROOT/etc/systemd/system"
mkdir -p "$unit_dir"
# The unit runs /usr/bin/node; a Node installed elsewhere (nvm, /usr/local) is written in instead.
sed "s|^ExecStart=/usr/bin/node |ExecStart=$node_bin |" "$SRC/systemd/nibble.service" > "$unit_dir/nibble.service"
chmod 0644 "$unit_dir/nibble.service"
if [[ -n "$ROOT" ]]; then
  systemctl --root="$ROOT" enable nibble.service
  say "enabled nibble.service under $ROOT (not started)"
else
  systemctl daemon-reload
  systemctl enable --now nibble.service
  say "nibble.service enabled and started"
fi

cat <<MSG

nibble is installed. Next:
  - Watch it start (the first start downloads the default model, about 0.5 GB):
      journalctl -u nibble -f
    or pull a model yourself and point /etc/nibble/config.yaml (engine.model) at it:
      sudo -u nibble NIBBLE_MODELS_DIR=/var/lib/nibble/models nibble pull Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf
  - Ask a first question (once 'systemctl status nibble' says idle):
      nibble ask "What can you do?"
  - Button, LED, serial line, Home Assistant: see /opt/nibble/README.md, "Raspberry Pi".
  - Remove it again: sudo /opt/nibble/deploy/uninstall.sh  (--purge also deletes config, data and the user)
MSG
