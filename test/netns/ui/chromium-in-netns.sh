#!/bin/sh
# Playwright starts this as "the browser": Debian's Chromium inside the test's network namespace
# ($OLC_UI_NETNS), so the browser's network reaches only that namespace (its loopback: the agent).
# `ip netns exec` execs Chromium: the DevTools pipe (fds 3 and 4) passes through unchanged.
# $OLC_UI_NICE (optional): run it at that nice level (benchmarks: the browser yields to the agent).
if [ -n "$OLC_UI_NICE" ]; then
  exec nice -n "$OLC_UI_NICE" ip netns exec "$OLC_UI_NETNS" /usr/bin/chromium "$@"
fi
exec ip netns exec "$OLC_UI_NETNS" /usr/bin/chromium "$@"
