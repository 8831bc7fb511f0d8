#!/usr/bin/env sh
# Install the Debian packages Skyweave's tests need (tshark for the DIS dissector test).
# Idempotent: does nothing when tshark is already on PATH. Run as root (CI: sudo).
set -eu

if command -v tshark >/dev/null 2>&1; then
    echo "tshark already installed: $(command -v tshark)"
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
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends tshark

tshark --version | head -n 1
