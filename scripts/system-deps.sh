#!/usr/bin/env bash
# System libraries WeasyPrint needs, and Tesseract, which check-in runs to read the printed "Dok.-Nr."
# line of a page whose QR code is stained or torn (tesseract-ocr brings the English model, enough for the
# id). libharfbuzz-subset0 is optional but makes rendering ~4x faster (without it WeasyPrint subsets fonts
# with fontTools). Installs with apt-get where we are root; otherwise says what to run. Never fails the
# build for the optional library.
set -u
need=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core tesseract-ocr)
want=(libharfbuzz-subset0)

missing() {
  local out=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || out+=("$pkg")
  done
  echo "${out[@]:-}"
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; make sure Pango, HarfBuzz (with libharfbuzz-subset), DejaVu fonts and tesseract (with its English model) are installed."
  exit 0
fi

todo="$(missing "${need[@]}" "${want[@]}")"
[ -z "$todo" ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing $todo"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq $todo >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq $todo >/dev/null 2>&1 || echo "system-deps: apt-get could not install $todo"
  fi
  todo="$(missing "${need[@]}" "${want[@]}")"
fi

hard="$(missing "${need[@]}")"
if [ -n "$hard" ]; then
  echo "system-deps: MISSING required system packages: $hard"
  echo "  run: sudo apt-get install $hard"
  exit 1
fi
if [ -n "$(missing "${want[@]}")" ]; then
  echo "system-deps: libharfbuzz-subset0 is not installed: rendering works but ~4x slower."
  echo "  run: sudo apt-get install libharfbuzz-subset0"
fi
exit 0
