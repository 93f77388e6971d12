#!/usr/bin/env bash
# What the cross-runtime tests need beyond `npm ci` (which brings Deno, Bun and
# the browser drivers): Debian's Chromium, Firefox ESR and WebKitGTK (its
# WebDriver, and Xvfb for a display: WebKitGTK has no headless mode), and
# Node 22 beside the machine's Node, from the npm registry's node-linux-<arch>
# package (the binary, nothing else).
set -euo pipefail
cd "$(dirname "$0")/.."

# Each Debian package the binary it brings; those missing are installed in one go.
missing=()
for package_binary in chromium:/usr/bin/chromium firefox-esr:/usr/bin/firefox-esr \
  webkit2gtk-driver:/usr/bin/WebKitWebDriver xvfb:/usr/bin/Xvfb; do
  [ -x "${package_binary#*:}" ] || missing+=("${package_binary%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "no Node 22 package for $(uname -m)" >&2; exit 1 ;;
esac
if [ ! -x node_modules/.cache/node22/node_modules/node-linux-$arch/bin/node ]; then
  npm install --prefix node_modules/.cache/node22 --no-save --no-package-lock --no-audit --no-fund "node-linux-$arch@22"
fi
