# shellcheck shell=bash
# The hand-over, in the script when with_handover is 1 (only with a data
# volume): the instance lets go of the data volume when its group
# terminates it, at the termination hook handover_hook of group_name,
# and a new instance launched before its predecessor is terminated
# completes its launch gate early, so that the predecessor is terminated
# and hands the volume over.

# ------------------------------------------------------------- hand-over --

# The group holds a terminating instance in Terminating:Wait until the
# hook is completed, or until its timeout (stop_timeout plus the reserve
# for the rest) passes, when its default result, CONTINUE, terminates it.
# Meanwhile its target lifecycle state reads Terminated (EC2 Auto Scaling
# User Guide, "Retrieve the target lifecycle state through instance
# metadata"). A watcher, selfhealing-handover.service, reads it every
# handover_poll_seconds; on Terminated it stops the application, unmounts
# and detaches the volume, and completes the hook. Whatever fails, it
# completes the hook: the instance is terminated, and EBS detaches the
# volume then, as it does without a hand-over.
readonly handover_poll_seconds=2 handover_unit=selfhealing-handover.service

# handover_main MODE: what this script does when run with MODE:
# --handover-watch (the unit) watches and hands over once; --handover
# hands over now, as the watcher does on Terminated; --handover-release
# is the release itself, a process of its own so that any failure in it
# ends it alone, and the hook is completed all the same.
handover_main() {
  # A failure here is the hand-over's: it must neither abandon a launch
  # nor mark a terminating instance Unhealthy; it is logged, and the
  # hook completed. fail calls both, so shellcheck cannot see them called.
  # shellcheck disable=SC2317
  gate_abandon() { return 0; }
  # shellcheck disable=SC2317
  report_failed_boot() { return 0; }
  # The boot wrote them (main.sh) before it started the watcher.
  read -r instance_id region <"${status_dir}/instance"
  case "$1" in
  --handover-watch) handover_watch ;;
  --handover) handover ;;
  --handover-release) handover_release ;;
  *) fail "unknown option $1" ;;
  esac
}

# handover_watch: reads the target lifecycle state every
# handover_poll_seconds (a metadata request on a reused token) until it
# is Terminated, then hands over. The path answers 404 until the first
# lifecycle transition; a read that fails is tried again.
handover_watch() {
  until imds_get meta-data/autoscaling/target-lifecycle-state && [[ "$imds_value" == Terminated ]]; do
    sleep "$handover_poll_seconds"
  done
  handover
}

# handover: releases the volume in a process of its own, then completes
# the termination hook with CONTINUE, whatever the release did.
handover() {
  local rc=0
  log "hand-over: terminating"
  "$BASH" "${BASH_SOURCE[0]}" --handover-release || rc=$?
  ((rc == 0)) || log "hand-over: FAILED; EBS detaches the volume at termination"
  step="completing ${handover_hook}"
  aws_try complete-lifecycle-action autoscaling complete-lifecycle-action --region "$region" --output text \
    --lifecycle-hook-name "$handover_hook" --auto-scaling-group-name "$group_name" --instance-id "$instance_id" \
    --lifecycle-action-result CONTINUE || log "hand-over: ${aws_error}"
}

# handover_release: stops the health check (the application's stop is not
# a failure to report), runs the stop script within stop_timeout, syncs
# and unmounts the volume, and detaches it from this instance only.
# Without a stop script, files the application keeps open make the
# unmount fail: then nothing is detached, for a volume is never taken
# from under a process that may still write it.
handover_release() {
  local rc=0 out cmd poll deadline
  set_status "handing over"
  if ((with_health_check)) && [[ -d /run/systemd/system ]]; then
    systemctl stop selfhealing-health.timer || true
  fi
  if [[ -n "$stop_script" ]]; then
    step="running the stop script"
    printf '%s\n' "$stop_script" >"${state_dir}/stop-script"
    chmod 0700 "${state_dir}/stop-script"
    cmd=("${state_dir}/stop-script")
    [[ "$stop_script" == '#!'* ]] || cmd=("$BASH" "${state_dir}/stop-script")
    timeout --kill-after=5 "$stop_timeout" "${cmd[@]}" </dev/null || rc=$?
    log "hand-over: stop script: exit ${rc}"
  fi

  step="unmounting ${mount_path}"
  sync
  if [[ -n "$(mounted_device)" ]]; then
    out="$(umount "$mount_path" 2>&1)" || fail "${out}; not detaching a volume in use (see dataVolume.stopScript)"
  fi

  step="detaching data volume ${volume_id}"
  describe_volume
  [[ "$volume_holder" == "$instance_id" ]] || return 0
  # This instance's own attachment only: EC2 refuses the call if the volume
  # is attached elsewhere.
  aws_try "detach-volume" ec2 detach-volume --region "$region" --output text \
    --volume-id "$volume_id" --instance-id "$instance_id" --query State || fail "detach-volume: ${aws_error}"
  deadline=$((SECONDS + handover_detach_wait))
  for ((poll = 1; ; poll++)); do
    describe_volume
    [[ "$volume_holder" == "$instance_id" ]] || break
    ((SECONDS < deadline)) || fail "still ${volume_attachment} after ${handover_detach_wait}s"
    sleep_backoff "$poll" 2
  done
  log "hand-over: data volume ${volume_id} is detached from ${instance_id}"
}

# install_handover_unit: the watcher runs from the moment the instance is
# ready (start_handover_watch) and at every later boot, after the boot
# script.
install_handover_unit() {
  install_text "${unit_dir}/${handover_unit}" 0644 <<UNIT
[Unit]
Description=Self-healing instance: data volume hand-over
After=selfhealing-boot.service

[Service]
Type=simple
ExecStart=${install_dir}/boot --handover-watch
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
UNIT
  enable_unit "$handover_unit" multi-user.target
}

# start_handover_watch: starts the watcher now; at later boots systemd
# does.
start_handover_watch() {
  [[ -d /run/systemd/system ]] || return 0
  step="starting ${handover_unit}"
  [[ "$installed_changed" != true ]] || systemctl daemon-reload
  systemctl start --no-block "$handover_unit"
}

# handover_takeover: before the new instance waits for the volume. If the
# volume is attached to an instance of this group that is still
# InService, this instance was launched before its predecessor is
# terminated (a planned replacement): the group terminates the
# predecessor, which then hands the volume over, only once this instance
# is in service, so the launch gate is completed now. From here a failure
# marks this instance Unhealthy (report_failed_boot), and the group
# replaces it. Any other holder (Terminating, gone, not this group's) is a
# replacement after a failure: the wait below, with its rules, as ever.
handover_takeover() {
  local group lifecycle
  describe_volume
  [[ -n "$volume_holder" && "$volume_holder" != "$instance_id" ]] || return 0
  step="asking the group about ${volume_holder}"
  aws_retry "describe-auto-scaling-instances" autoscaling describe-auto-scaling-instances --region "$region" --output text \
    --instance-ids "$volume_holder" --query 'AutoScalingInstances[0].[AutoScalingGroupName, LifecycleState]'
  read -r group lifecycle <<<"$aws_output" || true
  log "data volume ${volume_id} is on ${volume_holder} (${group} ${lifecycle})"
  [[ "$group" == "$group_name" && "$lifecycle" == InService ]] || return 0
  volume_poll_cap_seconds=1
  if ((with_launch_gate)); then
    gate_complete CONTINUE
  fi
}
