#!/usr/bin/env bash
# Sourced by scripts/test.sh: makes sure Debian's Chromium is at /usr/bin/chromium for the dashboard's browser tests.
# Playwright never downloads a browser here; it drives this one. If the install fails, the browser tests fail under
# CI=true (they never pass by skipping) and are skipped on a developer machine with a hint.
if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    echo "Installing Debian's chromium package for the browser tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
      || echo "warning: could not install chromium; the browser tests will fail under CI=true" >&2
  else
    echo "warning: /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get)" >&2
  fi
fi
