#!/usr/bin/env bash
# What the tests need beyond `npm ci` (which brings Deno, Bun, workerd and the
# browser drivers): Debian's Chromium, Firefox ESR and WebKitGTK (its
# WebDriver, and Xvfb for a display: WebKitGTK has no headless mode), dlib's
# 68-point landmark model (libdlib-data: 99.7 MB, too big to bundle), a
# PostgreSQL server (postgresql: the photo library's shared-store tests), and
# Node 22 beside the machine's Node, from the npm registry's node-linux-<arch>
# package (the binary, nothing else). `npm test` runs this first; what is
# already there is not installed again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each Debian package and a file it brings; those missing are installed in one go.
missing=()
for package_file in chromium:/usr/bin/chromium firefox-esr:/usr/bin/firefox-esr \
  webkit2gtk-driver:/usr/bin/WebKitWebDriver xvfb:/usr/bin/Xvfb \
  libdlib-data:/usr/share/dlib/shape_predictor_68_face_landmarks.dat; do
  [ -e "${package_file#*:}" ] || missing+=("${package_file%%:*}")
done
# The PostgreSQL server the photo library's tests start (its binaries are in a folder per version).
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian packages for the tests: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    # The tests that need them fail, each saying what is missing and how to install it.
    echo "cannot install Debian packages here (needs root and apt-get): ${missing[*]}" >&2
    echo "install them with: apt-get install ${missing[*]}" >&2
  fi
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "no Node 22 package for $(uname -m): the Node 22 tests will fail" >&2; exit 0 ;;
esac
if [ ! -x node_modules/.cache/node22/node_modules/node-linux-$arch/bin/node ]; then
  npm install --prefix node_modules/.cache/node22 --no-save --no-package-lock --no-audit --no-fund "node-linux-$arch@22"
fi
