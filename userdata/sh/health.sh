# shellcheck shell=bash
# The application health check, in the script when with_health_check is
# 1: it checks health_url (healthy when it answers health_expected_status)
# or runs health_command, every health_interval seconds, each check within
# health_timeout.

# ---------------------------------------------------- app health check --

# EC2 calls an instance healthy while it runs, whatever the application
# does. A timer runs this script with --health-check every health_interval
# seconds; after health_threshold failures in a row the instance reports
# itself Unhealthy to its group, which replaces it. The check's state lives
# in health_state: "healthy", "failing", "unhealthy" or "waiting", the
# failures in a row, and when it last reported (Unix seconds, 0 for never).
# A report the group may not have acted on (within its grace period, say)
# is repeated while the application stays down, but at most every
# health_report_again seconds.
readonly health_state="${status_dir}/health" health_report_again=300

# health_check_once: checks the application once and prints what it saw;
# returns 0 if it is healthy.
health_check_once() {
  local code rc=0
  if [[ -n "$health_url" ]]; then
    # --insecure: on localhost the certificate names the public host, and
    # the check asks whether the application answers, not who it is.
    # --globoff: the URL is fetched as it is, once; curl would otherwise
    # read [...] and {a,b}, legal in a query, as a range or a list.
    code="$(curl -sS -o /dev/null -w '%{http_code}' --insecure --globoff --max-time "$health_timeout" "$health_url" 2>/dev/null)" || rc=$?
    if ((rc != 0)); then
      echo "no HTTP answer from ${health_url} (curl exit ${rc})"
      return 1
    fi
    echo "HTTP ${code} from ${health_url}"
    [[ "$code" == "$health_expected_status" ]]
    return
  fi
  timeout --kill-after=2 "$health_timeout" bash -c "$health_command" >/dev/null 2>&1 </dev/null || rc=$?
  case "$rc" in
  0) echo "the check command exited 0" ;;
  124 | 137) echo "the check command did not finish within ${health_timeout}s" ;;
  *) echo "the check command exited ${rc}" ;;
  esac
  return "$rc"
}

# health_report: tells the group this instance is unhealthy, retrying
# what is worth it a few times (the next check tries again); it must not
# fail the boot script's way, so it calls retry itself, not aws_try.
health_report() {
  if retry 4 "$aws_call_seconds" "$retryable_errors" "app health check: set-instance-health" \
    aws_call autoscaling set-instance-health --region "$region" --instance-id "$instance_id" \
    --health-status Unhealthy --should-respect-grace-period; then
    log "app health check: set-instance-health Unhealthy taken; the group replaces this instance"
    return 0
  fi
  log "app health check: set-instance-health: ${aws_error}"
  return 1
}

# health_tick: one run of selfhealing-health.service. It checks nothing
# before the boot script has reported ready, logs each change of state,
# and reports the instance once it has failed health_threshold times in a
# row.
health_tick() {
  trap - ERR
  local status state=none failures=0 reported_at=0 result now
  status="$(cat "$status_dir/status" 2>/dev/null || true)"
  [[ ! -r "$health_state" ]] || read -r state failures reported_at <"$health_state" || true
  [[ "$failures" =~ ^[0-9]+$ && "$reported_at" =~ ^[0-9]+$ ]] || failures=0 reported_at=0
  if [[ "$status" != ready ]]; then
    [[ "$state" == waiting ]] || log "app health check: not checking before the boot script is ready (status: ${status:-none})"
    health_save waiting 0 0
    return 0
  fi
  read -r instance_id region <"$status_dir/instance"
  if result="$(health_check_once)"; then
    case "$state" in
    failing | unhealthy) log "app health check: recovered: ${result}, after ${failures} failed checks" ;;
    healthy) ;;
    *) log "app health check: healthy: ${result}" ;;
    esac
    health_save healthy 0 0
    return 0
  fi
  failures=$((failures + 1))
  if ((failures < health_threshold)); then
    log "app health check: failing (${failures}/${health_threshold}): ${result}"
    health_save failing "$failures" 0
    return 0
  fi
  now="$(date +%s)"
  if [[ "$state" != unhealthy ]]; then
    log "app health check: unhealthy after ${failures} failed checks in a row, the last: ${result}; reporting it to the group"
  elif ((reported_at > 0 && now - reported_at < health_report_again)); then
    health_save unhealthy "$failures" "$reported_at"
    return 0
  else
    log "app health check: still unhealthy (${failures} failed checks): ${result}; reporting it again"
  fi
  reported_at=0
  if health_report; then
    reported_at=$now
  fi
  health_save unhealthy "$failures" "$reported_at"
}

health_save() {
  mkdir -p "$status_dir"
  printf '%s %d %d\n' "$@" >"${health_state}.new"
  mv -f "${health_state}.new" "$health_state"
}

# install_health_units: the check runs as a oneshot service that the timer
# starts every interval, from every boot on (timers.target).
install_health_units() {
  install_text "${unit_dir}/selfhealing-health.service" 0644 <<UNIT
[Unit]
Description=Self-healing instance: application health check
Documentation=https://github.com/selfhealing-dev/selfhealing
After=selfhealing-boot.service

[Service]
Type=oneshot
ExecStart=${install_dir}/boot --health-check
TimeoutStartSec=5min
UNIT
  install_text "${unit_dir}/selfhealing-health.timer" 0644 <<UNIT
[Unit]
Description=Self-healing instance: application health check every ${health_interval}s
Documentation=https://github.com/selfhealing-dev/selfhealing

[Timer]
OnActiveSec=${health_interval}s
OnUnitActiveSec=${health_interval}s
AccuracySec=1s

[Install]
WantedBy=timers.target
UNIT
  enable_unit selfhealing-health.timer timers.target
}

# await_first_health_check: with a launch action waiting, the instance is
# ready only once the application passes its check, within the time the
# hook has left (less a margin to complete it). Otherwise the timer judges
# the application from now on.
# shellcheck disable=SC2154 # gate_pending, gate_last_beat, gate_timeout: gate.sh's, read only with_launch_gate
await_first_health_check() {
  if ((!with_launch_gate)) || [[ "$gate_pending" != yes ]]; then
    log "app health check: the timer checks the application every ${health_interval}s from now on"
    return 0
  fi
  step="waiting for the app health check to pass"
  local margin=$((gate_timeout / 10 < 30 ? gate_timeout / 10 : 30)) poll out
  local deadline=$((gate_last_beat + gate_timeout - margin))
  for ((poll = 1; ; poll++)); do
    if out="$(health_check_once)"; then
      log "app health check passed: ${out}"
      return 0
    fi
    ((SECONDS < deadline)) || fail "the app health check did not pass before the launch gate's time ran out: ${out}"
    ((poll > 1)) || log "app health check: not yet (${out}); waiting up to $((deadline - SECONDS))s"
    sleep_backoff "$poll" 5
  done
}

# start_health_timer: starts the timer now; at later boots systemd does.
start_health_timer() {
  if [[ ! -d /run/systemd/system ]]; then
    log "systemd is not running; selfhealing-health.timer starts at the next boot"
    return 0
  fi
  step="starting selfhealing-health.timer"
  [[ "$installed_changed" != true ]] || systemctl daemon-reload
  systemctl start --no-block selfhealing-health.timer
  log "started selfhealing-health.timer: a check every ${health_interval}s"
}
