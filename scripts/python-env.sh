#!/usr/bin/env bash
# Creates (or refreshes) the Python venv for test and benchmark tooling: moto's EC2 server, the real clearml-agent
# and ClearML's own autoscaler. The product never runs Python; only the conformance suite and the bench use this.
#
#   bash scripts/python-env.sh        # create/update; prints the venv's python
#
# The venv lives in .venv/ at the top of the checkout (git-ignored), or at $CTA_VENV when set (so several
# checkouts can share one). It is rebuilt only when test/conformance/requirements.txt changes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${CTA_VENV:-$root/.venv}"
req="$root/test/conformance/requirements.txt"
py="${PYTHON:-python3}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if ! command -v "$py" >/dev/null; then
  echo "python-env.sh: no $py on PATH; install Python 3.10+ with pip and venv" >&2
  exit 1
fi
echo "python-env.sh: installing test tooling into $venv (takes a minute the first time)" >&2
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
