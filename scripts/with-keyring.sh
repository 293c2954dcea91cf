#!/bin/sh
# Runs a command with a throw-away, unlocked gnome-keyring on the current D-Bus session (used by `npm test`).
set -e
XDG_DATA_HOME=$(mktemp -d); export XDG_DATA_HOME
mkdir -p "$XDG_DATA_HOME/keyrings"
printf 'test-keyring-password' | gnome-keyring-daemon --unlock --daemonize --components=secrets >/dev/null 2>&1 || true
exec "$@"
