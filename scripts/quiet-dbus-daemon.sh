#!/bin/sh
# dbus-run-session's daemon for `npm test`: the same dbus-daemon with its own log lines (fd-limit notices, service
# activations requested by Chromium) sent to /dev/null, so test output carries only the tests' own lines.
exec dbus-daemon "$@" 2>/dev/null
