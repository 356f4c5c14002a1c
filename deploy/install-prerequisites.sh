#!/usr/bin/env bash
# What Frontdoor needs from the operating system: Python 3.11+ with venv; to run
# Kafka and the Mongo stand-in as local processes, Java 17+ and Maven; and Chromium,
# which prints the annual report to PDF and runs the report and dashboard tests.
# Installs what is missing with apt-get when run as root on Debian or Ubuntu;
# otherwise says what to install.
set -euo pipefail

missing=()
python3 -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null || missing+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
if command -v java >/dev/null 2>&1; then
  major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')
  [ "${major%%.*}" -ge 17 ] 2>/dev/null || missing+=(openjdk-17-jre-headless)
else
  missing+=(openjdk-17-jre-headless)
fi
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing from Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "Frontdoor needs these packages, which are missing: ${missing[*]}" >&2
  echo "Install them (for example: sudo apt-get install ${missing[*]}) and run the command again." >&2
  exit 1
fi
