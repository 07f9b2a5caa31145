#!/usr/bin/env bash
# Tools keelhaul's acceptance tests use beyond the engines: xmllint (JUnit schema check), Chromium
# (the Allure report rendered headless), openssl (TLS fixture certificates), jq (the planting
# runtime), debootstrap (the image's local base). On Debian as root, installs what is missing;
# elsewhere, says what is missing and leaves it to you.
set -euo pipefail
need=()
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v jq >/dev/null 2>&1 || need+=(jq)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && [ -f /etc/debian_version ]; then
  echo "test-tools.sh: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
else
  echo "test-tools.sh: missing ${need[*]}: install them (Debian package names) for the full test suite" >&2
fi
