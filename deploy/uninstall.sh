#!/usr/bin/env bash
# Removes what deploy/install.sh installed.
#
#   sudo /opt/nibble/deploy/uninstall.sh [--purge]
#
# Stops and disables the service, removes its Home Assistant device (an empty
# retained discovery message, when a broker is configured), deletes
# /opt/nibble, the unit and the /usr/local/bin/nibble link. /etc/nibble (the
# config) and /var/lib/nibble (request log, models) are kept unless --purge,
# which also deletes them and the user "nibble".
# NIBBLE_ROOT works as in install.sh.
set -euo pipefail

ROOT="${NIBBLE_ROOT:-}"
PREFIX=/opt/nibble
USER_NAME=nibble
purge=0
for arg in "$@"; do
  case "$arg" in
    --purge) purge=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) printf 'nibble uninstall: error: unknown option %s (use --purge or nothing)\n' "$arg" >&2; exit 1 ;;
  esac
done

say() { printf 'nibble uninstall: %s\n' "$*"; }
warn() { printf 'nibble uninstall: warning: %s\n' "$*" >&2; }

if [[ -z "$ROOT" && "$(id -u)" -ne 0 ]]; then
  printf 'nibble uninstall: error: run it as root: sudo %s\n' "$0" >&2
  exit 1
fi

unit="$ROOT/etc/systemd/system/nibble.service"
if [[ -f "$unit" ]]; then
  if [[ -n "$ROOT" ]]; then
    systemctl --root="$ROOT" disable nibble.service || warn "could not disable nibble.service"
  else
    systemctl disable --now nibble.service || warn "could not stop and disable nibble.service"
  fi
fi

# While the program is still here: tell Home Assistant the device is gone.
config="$ROOT/etc/nibble/config.yaml"
if [[ -f "$config" && -f "$ROOT$PREFIX/deploy/remove-discovery.mjs" ]] && command -v node >/dev/null; then
  node "$ROOT$PREFIX/deploy/remove-discovery.mjs" "$config" || warn "could not remove the Home Assistant device; delete it in Home Assistant (Settings > Devices)"
fi

rm -f "$unit"
if [[ -z "$ROOT" ]]; then systemctl daemon-reload; fi
rm -rf "$ROOT$PREFIX"
if [[ -L "$ROOT/usr/local/bin/nibble" ]]; then rm -f "$ROOT/usr/local/bin/nibble"; fi
say "removed $PREFIX and nibble.service"

if [[ "$purge" -eq 1 ]]; then
  rm -rf "$ROOT/etc/nibble" "$ROOT/var/lib/nibble"
  if getent passwd "$USER_NAME" >/dev/null; then userdel "$USER_NAME" || warn "could not delete user $USER_NAME"; fi
  say "purged /etc/nibble, /var/lib/nibble and the user $USER_NAME"
else
  say "kept /etc/nibble (config) and /var/lib/nibble (request log, models); --purge deletes them"
fi
