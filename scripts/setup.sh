#!/usr/bin/env bash
# Installs what building and testing Touchpoint needs, only what is missing: Debian packages
# (toolchains, libraries, Chromium; WebKitGTK's WebKitWebDriver, Xvfb and Firefox ESR for the
# cross-browser tests) and the npm devDependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(cmake g++ make pkg-config emscripten nlohmann-json3-dev doctest-dev libcpp-httplib-dev libsqlite3-dev zlib1g-dev chromium
  webkit2gtk-driver xvfb firefox-esr postgresql libpq-dev)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node 20 and npm come with the machine (nodesource's nodejs); Debian's are the fallback.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  # One apt at a time: concurrent installs fail on the dpkg lock (TOOLCHAIN.md §e).
  $SUDO flock /tmp/touchpoint-apt.lock bash -c "apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${missing[*]}"
fi

if [ -L node_modules ]; then
  # A worktree sharing another tree's node_modules: `npm ci` here would empty the shared folder
  # for everyone. Install in the tree the link points to instead.
  [ -x node_modules/.bin/esbuild ] || echo "setup: node_modules -> $(readlink node_modules) is incomplete; run npm ci there" >&2
elif [ ! -x node_modules/.bin/esbuild ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/puppeteer-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi
