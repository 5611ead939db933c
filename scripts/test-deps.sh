#!/usr/bin/env bash
# System programs only the tests need: Debian's chromium, which renders the HTML report headless
# (tests/test_report.py) and which Playwright drives for the web app's browser tests (tests/web/, launched by
# its path, so Playwright never downloads a browser), and dovecot-imapd, the real IMAP server the mail tests
# start on a loopback port (tests/mailservers.py). Installs them with apt-get where we are root; otherwise says
# what to run.
# `make test` calls this; `make demo` does not need it.
set -u
if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: installing dovecot-imapd (IMAP server for the mail tests; started by the tests only)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null 2>&1; then
      apt-get update -qq >/dev/null 2>&1 || true
      apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null 2>&1 \
        || echo "test-deps: apt-get could not install dovecot-imapd"
    fi
  fi
  if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
    echo "test-deps: dovecot is missing; the mail tests will fail until it is installed."
    echo "  run: sudo apt-get install dovecot-imapd    (or set ENGAGIERT_SKIP_DOVECOT=1 to skip them)"
  fi
fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: installing chromium (headless browser for the report test)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || echo "test-deps: apt-get could not install chromium"
  fi
fi
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  echo "test-deps: chromium is missing; tests/test_report.py will fail until it is installed."
  echo "  run: sudo apt-get install chromium    (or set ENGAGIERT_SKIP_BROWSER=1 to skip the browser test)"
fi
exit 0
