# shellcheck shell=bash
# The boot script's control flow, the last of its files: the others define
# functions and settings, and this one calls them, a feature's only when
# its with_* flag is 1.

# selfhealing-health.service runs this script with --health-check.
if ((with_health_check)) && [[ "${1:-}" == --health-check ]]; then
  health_tick
  exit 0
fi
# selfhealing-handover.service runs it with --handover-watch (handover.sh).
if ((with_handover)) && [[ "${1:-}" == --handover* ]]; then
  handover_main "$1"
  exit 0
fi

# selfhealing-warm-watch.service runs it with --warm-watch (warmwatch.sh).
if ((with_warm_watch)) && [[ "${1:-}" == --warm-watch ]]; then
  warm_watch
  exit 0
fi

# ------------------------------------------------------------------ main --
mkdir -p "$state_dir" "$status_dir" "$(dirname "$log_file")"
if [[ "${1:-}" != --holding-lock ]]; then
  log "boot script started for Elastic IP allocation ${allocation_id}"

  step="checking prerequisites"
  tools=(aws curl flock sha256sum timeout)
  if ((with_data_volume)); then
    tools+=(blkid blockdev dd findmnt mount readlink tr wc)
  fi
  for tool in "${tools[@]}"; do
    command -v "$tool" >/dev/null || fail "${tool} is not installed; the AMI must provide it (Amazon Linux 2023 does)"
  done

  step="waiting for any other run of this script to end"
  # One run at a time: user data and the every-boot unit both run it, should
  # an image made from an instance carry the unit into a first boot. flock
  # holds the lock while this script runs again (--holding-lock); -o keeps
  # its descriptor from what the user script leaves running, which would
  # hold the lock after the run. Trouble with the lock file fails here.
  : >>"${status_dir}/boot.lock"
  run_rc=0
  flock -o -E 75 -w 3600 "${status_dir}/boot.lock" "$BASH" "${BASH_SOURCE[0]}" --holding-lock || run_rc=$?
  ((run_rc != 75)) || fail "another run held ${status_dir}/boot.lock for an hour"
  exit "$run_rc"
fi
set_status "starting"

step="reading instance metadata"
imds_get meta-data/instance-id || fail "could not read meta-data/instance-id from ${imds_endpoint}"
instance_id=$imds_value
imds_get meta-data/placement/region || fail "could not read meta-data/placement/region from ${imds_endpoint}"
region=$imds_value
log "instance ${instance_id} in region ${region}"
if ((with_health_check || with_handover)); then
  printf '%s %s\n' "$instance_id" "$region" >"${status_dir}/instance"
fi

install_for_later_boots

# An instance launched into a warm pool boots while the live instance still
# serves, and one already being terminated will not serve: neither may take
# the address from the instance that does.
lifecycle_rc=0
imds_get meta-data/autoscaling/target-lifecycle-state || lifecycle_rc=$?
lifecycle_state=$imds_value
case "$lifecycle_rc" in
0) log "target lifecycle state: ${lifecycle_state}" ;;
4) log "target lifecycle state: none yet (not an Auto Scaling lifecycle transition)" ;;
*) fail "could not read meta-data/autoscaling/target-lifecycle-state from ${imds_endpoint}" ;;
esac
case "$lifecycle_state" in
Terminated | Terminating*)
  log "instance is being terminated (${lifecycle_state}); leaving the Elastic IP where it is"
  set_status "terminating"
  exit 0
  ;;
*) ;;
esac

if ((with_launch_gate)); then
  gate_probe
fi
case "$lifecycle_state" in
Warmed:*)
  # It takes nothing now: the address, the volume and the user script
  # wait for the boot that puts it in service, which this script's unit
  # runs. The group holds it in Warmed:Pending:Wait meanwhile. What needs
  # none of them is done now, so that going into service costs less: the
  # agent, and HTTPS's packages (its configuration waits for the volume,
  # which may hold the certificate). That boot finds them installed.
  if ((with_logs || with_agent_metrics)); then
    set_up_logs
  fi
  if ((with_https)); then
    install_https_packages
  fi
  # Kept running in the pool, it is not booted again when the group
  # takes it: the watcher runs this script then.
  if ((with_warm_watch)) && [[ "$lifecycle_state" == Warmed:Running ]]; then
    start_warm_watch
  fi
  left="the Elastic IP"
  ((!with_data_volume)) || left+=" and the data volume"
  log "instance is headed for the warm pool (${lifecycle_state}); leaving ${left} where they are"
  set_status "warm"
  if ((with_launch_gate)); then
    gate_complete CONTINUE
  fi
  exit 0
  ;;
*) ;;
esac

if ((with_handover)); then
  handover_takeover
fi
if ((with_data_volume)); then
  set_up_data_volume
fi

# The persistent network interface carries the Elastic IP, which the stack
# associated with it once: attaching the interface brings the address, so
# the address is not moved below.
if ((with_network_interface)); then
  set_up_network_interface
fi

# All that does not need the Elastic IP comes first: the instance holding
# it serves until this one takes it. The user script's environment besides
# this script's, as NAME=value words for env(1): the parameters, the address.
user_config=()
if ((with_logs || with_agent_metrics)); then
  set_up_logs
fi
if ((with_https)); then
  set_up_https
fi
if ((with_parameters)); then
  load_parameters
fi
[[ -z "$elastic_ip" ]] || user_config+=("SELFHEALING_PUBLIC_IP=${elastic_ip}")

# Once per instance: a reboot does not run it again, and an instance that
# skipped it in the warm pool runs it when it goes into service.
if [[ -n "$user_script" && -e "$user_script_done" ]]; then
  log "the user script already succeeded on this instance; not running it again"
elif [[ -n "$user_script" ]]; then
  step="running the user script"
  printf '%s\n' "$user_script" >"$state_dir/user-script"
  chmod 0700 "$state_dir/user-script"
  log "running the user script"
  user_command=("$state_dir/user-script")
  # By absolute path: env(1) searches the PATH of the environment it makes.
  [[ "$user_script" == '#!'* ]] || user_command=("$BASH" "$state_dir/user-script")
  user_rc=0
  env -- "${user_config[@]}" "${user_command[@]}" || user_rc=$?
  ((user_rc == 0)) || fail "the user script exited ${user_rc}"
  : >"$user_script_done"
fi

if ((with_health_check)); then
  await_first_health_check
fi

# Last, the address (with the network interface, it came with it).
if ((!with_network_interface)); then
  step="associating Elastic IP ${allocation_id} with ${instance_id}"
  # --allow-reassociation: moving the address off an instance that still holds
  # it (a terminating predecessor) is the point, not an accident.
  aws_retry "associate-address" ec2 associate-address --region "$region" --output text \
    --allocation-id "$allocation_id" --instance-id "$instance_id" --allow-reassociation \
    --query AssociationId
  log "associate-address returned association ${aws_output}"

  step="verifying Elastic IP ${allocation_id} is on ${instance_id}"
  holder="" public_ip="" verify_started=$SECONDS
  for ((attempt = 1; ; attempt++)); do
    aws_retry "describe-addresses" ec2 describe-addresses --region "$region" --output text \
      --allocation-ids "$allocation_id" --query 'Addresses[0].[InstanceId,PublicIp]'
    read -r holder public_ip <<<"$aws_output" || true
    if [[ "$holder" == "$instance_id" ]]; then
      break
    fi
    log "Elastic IP ${allocation_id} is on '${holder}', not ${instance_id} yet (attempt ${attempt}/${retry_attempts})"
    retry_wait "$attempt" "$verify_started" "$aws_call_seconds" ||
      fail "Elastic IP ${allocation_id} is on '${holder}', not this instance; gave up ${retry_stop}"
  done
  log "Elastic IP ${public_ip} (${allocation_id}) is associated with ${instance_id}"
fi

# Let's Encrypt's HTTP-01 challenge comes through the address.
if ((with_https)); then
  obtain_certificate
fi

set_status "ready"
log "ready: ${public_ip} -> ${instance_id}"
if ((with_launch_gate)); then
  gate_complete CONTINUE
fi
if ((with_health_check)); then
  start_health_timer
fi
if ((with_handover)); then
  start_handover_watch
fi
