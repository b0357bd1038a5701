# shellcheck shell=bash
# The hand-over, in the script when with_handover is 1 (only with a data
# volume): the instance lets go of the data volume when its group
# terminates it, at the termination hook handover_hook of handover_group,
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

# handover_identify: sets instance_id and region, for a run that is not
# the boot (the watcher, the release).
handover_identify() {
  step="reading instance metadata"
  imds_get meta-data/instance-id || fail "could not read meta-data/instance-id from ${imds_endpoint}"
  instance_id=$imds_value
  imds_get meta-data/placement/region || fail "could not read meta-data/placement/region from ${imds_endpoint}"
  region=$imds_value
}

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
  mkdir -p "$status_dir"
  handover_identify
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
# lifecycle transition; a read that fails is logged and tried again.
handover_watch() {
  local rc
  log "hand-over: watching the target lifecycle state; on Terminated, data volume ${volume_id} is let go at ${mount_path}"
  for ((;;)); do
    rc=0
    imds_get meta-data/autoscaling/target-lifecycle-state || rc=$?
    if ((rc == 0)) && [[ "$imds_value" == Terminated ]]; then
      handover
      return 0
    fi
    ((rc == 0 || rc == 4)) || log "hand-over: could not read the target lifecycle state; reading it again"
    sleep "$handover_poll_seconds"
  done
}

# handover: releases the volume in a process of its own, then completes
# the termination hook with CONTINUE, whatever the release did.
handover() {
  local rc=0
  log "hand-over: this instance is being terminated; stopping the application and letting go of data volume ${volume_id}"
  "$BASH" "${BASH_SOURCE[0]}" --handover-release || rc=$?
  if ((rc == 0)); then
    log "hand-over: data volume ${volume_id} is detached from ${instance_id}"
  else
    log "hand-over: FAILED to let go of data volume ${volume_id} (exit ${rc}, the FAILED line above says why); completing the termination hook anyway: EBS detaches the volume once this instance is terminated"
  fi
  step="completing the termination hook ${handover_hook} with CONTINUE"
  if aws_try complete-lifecycle-action autoscaling complete-lifecycle-action --region "$region" --output text \
    --lifecycle-hook-name "$handover_hook" --auto-scaling-group-name "$handover_group" --instance-id "$instance_id" \
    --lifecycle-action-result CONTINUE; then
    log "hand-over: termination hook ${handover_hook}: CONTINUE sent; the group terminates this instance"
  else
    log "hand-over: termination hook ${handover_hook}: ${aws_error}; the hook's timeout ends the wait"
  fi
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
    systemctl stop selfhealing-health.timer || log "hand-over: could not stop selfhealing-health.timer; the health check skips an instance that is not ready anyway"
  fi
  if [[ -n "$stop_script" ]]; then
    step="running the stop script"
    printf '%s\n' "$stop_script" >"${state_dir}/stop-script"
    chmod 0700 "${state_dir}/stop-script"
    cmd=("${state_dir}/stop-script")
    [[ "$stop_script" == '#!'* ]] || cmd=("$BASH" "${state_dir}/stop-script")
    log "hand-over: running the stop script, for up to ${stop_timeout}s"
    timeout --kill-after=5 "$stop_timeout" "${cmd[@]}" </dev/null || rc=$?
    case "$rc" in
    0) log "hand-over: the stop script exited 0" ;;
    124 | 137) log "hand-over: WARNING: the stop script did not finish within ${stop_timeout}s; it was killed" ;;
    *) log "hand-over: WARNING: the stop script exited ${rc}" ;;
    esac
  fi

  step="unmounting data volume ${volume_id} from ${mount_path}"
  sync
  if [[ -n "$(mounted_device)" ]]; then
    out="$(umount "$mount_path" 2>&1)" ||
      fail "umount ${mount_path}: ${out}; something still uses it, so data volume ${volume_id} is not detached: it stays attached until this instance is terminated (set dataVolume.stopScript to stop the application first)"
    log "hand-over: unmounted ${mount_path}"
  fi

  step="detaching data volume ${volume_id} from ${instance_id}"
  describe_volume
  if [[ "$volume_holder" != "$instance_id" ]]; then
    log "hand-over: data volume ${volume_id} is not attached to this instance (${volume_holder:-none}); nothing to detach"
    return 0
  fi
  # This instance's own attachment only: EC2 refuses the call if the volume
  # is attached elsewhere.
  aws_try "detach-volume" ec2 detach-volume --region "$region" --output text \
    --volume-id "$volume_id" --instance-id "$instance_id" --query State || fail "detach-volume: ${aws_error}"
  log "hand-over: detach-volume: ${aws_output}"
  deadline=$((SECONDS + handover_detach_wait))
  for ((poll = 1; ; poll++)); do
    describe_volume
    [[ "$volume_holder" == "$instance_id" ]] || break
    ((SECONDS < deadline)) || fail "data volume ${volume_id} is still ${volume_attachment} to ${instance_id} after ${handover_detach_wait}s"
    sleep_backoff "$poll" 2
  done
  log "hand-over: data volume ${volume_id} is ${volume_state}"
}

# install_handover_unit: the watcher runs from the moment the instance is
# ready (start_handover_watch) and at every later boot, after the boot
# script.
install_handover_unit() {
  install_text "${unit_dir}/${handover_unit}" 0644 <<UNIT
[Unit]
Description=Self-healing instance: hands the data volume over when the group terminates this instance
Documentation=https://github.com/selfhealing-dev/selfhealing
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
  if [[ ! -d /run/systemd/system ]]; then
    log "systemd is not running; ${handover_unit} starts at the next boot"
    return 0
  fi
  step="starting ${handover_unit}"
  [[ "$installed_changed" != true ]] || systemctl daemon-reload
  systemctl start --no-block "$handover_unit"
  log "started ${handover_unit}: the data volume is handed over when the group terminates this instance"
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
  step="asking the group about ${volume_holder}, which holds data volume ${volume_id}"
  aws_retry "describe-auto-scaling-instances" autoscaling describe-auto-scaling-instances --region "$region" --output text \
    --instance-ids "$volume_holder" --query 'AutoScalingInstances[0].[AutoScalingGroupName, LifecycleState]'
  read -r group lifecycle <<<"$aws_output" || true
  if [[ "$group" != "$handover_group" || "$lifecycle" != InService ]]; then
    log "data volume ${volume_id} is on ${volume_holder} (group ${group:-none}, ${lifecycle:-no lifecycle state}): not a planned replacement"
    return 0
  fi
  log "data volume ${volume_id} is on ${volume_holder}, in service in ${handover_group}: a planned replacement; it hands the volume over once the group terminates it"
  volume_poll_cap_seconds=1
  if ((with_launch_gate)); then
    gate_complete CONTINUE
  fi
}
