#!/usr/bin/env sh
# Install the Debian packages Skyweave needs beyond Python: npm (installs the consoles' map
# and symbol libraries from package-lock.json), tshark (the DIS dissector test) and
# chromium (the exercise consoles' browser tests, driven by Playwright for Python).
# Idempotent: installs only what is missing. Run as root (CI: sudo).
set -eu

missing=""
command -v tshark >/dev/null 2>&1 || missing="$missing tshark"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -z "$missing" ]; then
    echo "tshark, chromium and npm already installed"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

# Answer the "non-superusers capture packets?" question up front so apt never prompts;
# tests only read pcap files, so no capture privileges are needed.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections

$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086  # the package list is meant to split
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing

command -v tshark >/dev/null 2>&1 && tshark --version | head -n 1
[ -x /usr/bin/chromium ] && /usr/bin/chromium --version 2>/dev/null | head -n 1
exit 0
