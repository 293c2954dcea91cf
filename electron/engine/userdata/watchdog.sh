#!/bin/bash
# clearml-autoscaler dead-man watchdog.
#
# The desktop app that launched this instance may sleep, quit or lose the network at any time. While it runs it
# renews a lease tag on the instance; this watchdog powers the instance off once that lease is stale and the
# ClearML agent is idle, so spend stays bounded without the controller. It is installed by the generated user
# data and runs one check per minute: a systemd timer running `--once` (each check a fresh process, so one bad
# iteration cannot kill the watchdog for good, and systemd owns the schedule), or `--loop` under nohup where
# systemd is absent.
#
# Lease tag: `clearml-autoscaler:lease-until` = lease expiry in epoch SECONDS (UTC integer, e.g. 1767225600),
# written by the engine and read through IMDSv2 instance-metadata tags (needs InstanceMetadataTags=enabled).
# A missing or unparsable tag means the engine never renewed it: the lease then runs from the instance start.
#
# Environment (all optional):
#   WATCHDOG_IMDS_URL          metadata base URL (default http://169.254.169.254)
#   WATCHDOG_LEASE_SEC         lease length counted from the start when the tag is missing (default 1200)
#   WATCHDOG_GRACE_SEC         how long past expiry before power-off (default 600)
#   WATCHDOG_MAX_LIFETIME_SEC  hard cap on instance age, applied even when busy; 0 disables (default 0)
#   WATCHDOG_INTERVAL_SEC      seconds between checks; also sizes the metadata-failure budget (default 60)
#   WATCHDOG_STATE_DIR         state files; `started-at` holds the start in epoch seconds (default
#                              /var/lib/clearml-autoscaler; without that file the kernel boot time is used)
#   WATCHDOG_BUSY_CMD          exits 0 while the agent runs a task (default: a `clearml_agent execute` process)
#   WATCHDOG_POWEROFF_CMD      default `shutdown -h now` (instances launch with shutdown behaviour terminate)
#   WATCHDOG_SPOT_NOTICE_CMD   run once per spot interruption notice, e.g. to stop the agent taking new tasks
#   WATCHDOG_CONSOLE           where power-off decisions are also written, for GetConsoleOutput (/dev/console)
#   WATCHDOG_NOW               epoch seconds to use as "now" (tests)
# Output: one line per decision on stdout. Nothing secret is known to this script.

# No -e: every failure here is an input to a decision, never a reason for the watchdog itself to stop.
set -uo pipefail

imds_url=${WATCHDOG_IMDS_URL:-http://169.254.169.254}
lease_sec=${WATCHDOG_LEASE_SEC:-1200}
grace_sec=${WATCHDOG_GRACE_SEC:-600}
max_life_sec=${WATCHDOG_MAX_LIFETIME_SEC:-0}
interval_sec=${WATCHDOG_INTERVAL_SEC:-60}
state_dir=${WATCHDOG_STATE_DIR:-/var/lib/clearml-autoscaler}
poweroff_cmd=${WATCHDOG_POWEROFF_CMD:-shutdown -h now}
console=${WATCHDOG_CONSOLE:-/dev/console}
lease_tag=clearml-autoscaler:lease-until

log() { printf 'clearml-autoscaler-watchdog: %s\n' "$*"; }
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

for v in lease_sec grace_sec max_life_sec interval_sec; do
  if ! is_uint "${!v}"; then
    log "decision=none reason=bad-config $v=${!v}"
    exit 2
  fi
done
((interval_sec > 0)) || interval_sec=60

imds_token() {
  curl -sf --connect-timeout 2 --max-time 4 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
    "$imds_url/latest/api/token"
}

# Prints the body of GET /latest/<path>. Status: 0 on 200, 4 on 404 (absent), 1 otherwise (down, 401, 5xx).
imds_get() {
  local out code
  out=$(curl -s --connect-timeout 2 --max-time 4 -w '\n%{http_code}' -H "X-aws-ec2-metadata-token: $1" \
    "$imds_url/latest/$2") || return 1
  code=${out##*$'\n'}
  case $code in
    200) printf '%s' "${out%$'\n'*}" ;;
    404) return 4 ;;
    *) return 1 ;;
  esac
}

agent_busy() {
  if [[ -n ${WATCHDOG_BUSY_CMD:-} ]]; then
    bash -c "$WATCHDOG_BUSY_CMD" >/dev/null 2>&1
    return
  fi
  # The daemon runs each task as `clearml_agent execute ... --id <task>` (venv) or inside `docker run` (docker).
  pgrep -f 'clearml_agent.* execute .*--id' >/dev/null 2>&1
}

started_at() {
  local t=''
  [[ -r $state_dir/started-at ]] && t=$(tr -d '[:space:]' <"$state_dir/started-at")
  if ! is_uint "$t"; then
    t=$(awk '$1 == "btime" { print $2 }' /proc/stat 2>/dev/null)
  fi
  is_uint "$t" || t=0
  printf '%s' "$t"
}

power_off() {
  log "decision=poweroff $*"
  { log "decision=poweroff $*" >"$console"; } 2>/dev/null
  bash -c "$poweroff_cmd" || log "power-off command failed (status $?)"
}

check_spot() {
  local notice seen=''
  notice=$(imds_get "$1" meta-data/spot/instance-action) || return 0
  notice=$(printf '%s' "$notice" | tr -d '\r\n' | tr -c '[:alnum:][:punct:] ' '?' | cut -c1-200)
  [[ -r $state_dir/spot-notice ]] && seen=$(<"$state_dir/spot-notice")
  log "spot-notice notice=$notice"
  if [[ $notice != "$seen" ]]; then
    printf '%s' "$notice" >"$state_dir/spot-notice" 2>/dev/null
    if [[ -n ${WATCHDOG_SPOT_NOTICE_CMD:-} ]]; then
      # Bounded, so a hung hook can never delay the next decision for long (AWS gives two minutes).
      timeout 20 bash -c "$WATCHDOG_SPOT_NOTICE_CMD" >/dev/null 2>&1 || log "spot-notice hook failed (status $?)"
    fi
  fi
}

check_once() {
  local now start age busy=0 token='' lease='' status=0 lease_until src failures=0 budget
  now=${WATCHDOG_NOW:-$(date +%s)}
  start=$(started_at)
  age=$((now - start))
  agent_busy && busy=1
  mkdir -p "$state_dir" 2>/dev/null

  if token=$(imds_token) && [[ -n $token ]]; then
    check_spot "$token"
    lease=$(imds_get "$token" "meta-data/tags/instance/$lease_tag") || status=$?
  else
    status=1
  fi

  if ((max_life_sec > 0 && age >= max_life_sec)); then
    power_off "reason=max-lifetime age=$age max_lifetime=$max_life_sec busy=$busy"
    return
  fi

  if ((status == 1)); then
    [[ -r $state_dir/imds-failures ]] && failures=$(<"$state_dir/imds-failures")
    is_uint "$failures" || failures=0
    failures=$((failures + 1))
    printf '%s' "$failures" >"$state_dir/imds-failures" 2>/dev/null
    # Unreachable metadata for a whole lease+grace is treated like a lease nobody renewed, but only when idle.
    budget=$(((lease_sec + grace_sec + interval_sec - 1) / interval_sec))
    ((budget > 0)) || budget=1
    if ((busy)); then
      log "decision=keep reason=metadata-unreachable-busy failures=$failures budget=$budget busy=1"
    elif ((failures >= budget)); then
      power_off "reason=metadata-unreachable failures=$failures budget=$budget busy=0"
    else
      log "decision=keep reason=metadata-unreachable failures=$failures budget=$budget busy=0"
    fi
    return
  fi
  rm -f "$state_dir/imds-failures" 2>/dev/null

  lease=$(printf '%s' "$lease" | tr -d '[:space:]')
  if ((status == 0)) && is_uint "$lease"; then
    lease_until=$lease
    src=tag
  else
    ((status == 0)) && log "lease tag unparsable (want epoch seconds); using start + lease"
    lease_until=$((start + lease_sec))
    src=start
  fi

  if ((now <= lease_until + grace_sec)); then
    log "decision=keep reason=lease-valid lease_until=$lease_until source=$src now=$now grace=$grace_sec busy=$busy"
  elif ((busy)); then
    log "decision=keep reason=lease-expired-busy lease_until=$lease_until source=$src now=$now grace=$grace_sec busy=1"
  else
    power_off "reason=lease-expired lease_until=$lease_until source=$src now=$now grace=$grace_sec busy=0"
  fi
}

case ${1:-} in
  --once) check_once ;;
  --loop)
    while :; do
      check_once
      sleep "$interval_sec"
    done
    ;;
  *)
    echo "usage: $0 --once | --loop" >&2
    exit 2
    ;;
esac
