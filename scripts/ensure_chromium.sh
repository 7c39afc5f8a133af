#!/bin/sh
# Make sure a headless Chromium exists for the report's browser test
# (tests/report/test_report_browser.py).
#
# If chromium (or chromium-browser, google-chrome) is on PATH: nothing to do.
# Otherwise, when running as root on a Debian/Ubuntu system, install Debian's
# `chromium` package with apt-get. It never fails the build: when it cannot
# install (not root, no apt-get, no package source), it says why and exits 0,
# and the browser test then skips with its reason.
set -u

for b in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$b" >/dev/null 2>&1; then
        exit 0
    fi
done

if [ "$(id -u)" -ne 0 ]; then
    echo "ensure_chromium: chromium is missing and this is not root; the report browser test will be skipped" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: chromium is missing and there is no apt-get; the report browser test will be skipped" >&2
    exit 0
fi

echo "ensure_chromium: installing chromium with apt-get" >&2
if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    exit 0
fi
echo "ensure_chromium: apt-get could not install chromium; the report browser test will be skipped" >&2
exit 0
