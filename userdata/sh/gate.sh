# shellcheck shell=bash
# The launch gate, in the script when with_launch_gate is 1: it completes
# the launch lifecycle hook gate_hook of the group group_name, CONTINUE
# once the instance is ready, ABANDON (from fail) when its boot fails.

# ----------------------------------------------------------- launch gate --

# The group holds a new instance in Pending:Wait (and one entering the warm
# pool in Warmed:Pending:Wait) until this script completes the launch hook,
# or until gate_timeout passes without a word, when the hook's default
# result, ABANDON, terminates it. gate_pending says whether an action waits
# for this instance: "unknown" until the first call tells, "yes", or "no"
# (a reboot, a start while in service, or completed already).
gate_pending=unknown gate_last_beat=$SECONDS
# What AWS answers when no action waits for the instance.
readonly gate_no_action='\(ValidationError\).*No active Lifecycle Action found'

# gate_call OPERATION [ARGS...]: one lifecycle call for this instance, with
# retries. Returns 0 when it was taken, 3 when no action waits; any other
# error fails the script.
gate_call() {
  local operation=$1
  shift
  if aws_try "$operation" autoscaling "$operation" --region "$region" --output text \
    --lifecycle-hook-name "$gate_hook" --auto-scaling-group-name "$group_name" --instance-id "$instance_id" "$@"; then
    return 0
  fi
  grep -Eq "$gate_no_action" <<<"$aws_error" || fail "${operation}: ${aws_error}"
  return 3
}

# gate_probe: learns with a heartbeat whether an action waits for this
# instance. The heartbeat also restarts the hook's clock, so the script has
# gate_timeout from here, however long the operating system took to boot.
# A gate that is misconfigured fails here, before anything is taken.
gate_probe() {
  step="checking the launch gate ${gate_hook} of ${group_name}"
  local rc=0
  gate_call record-lifecycle-action-heartbeat || rc=$?
  if ((rc == 0)); then
    gate_pending=yes gate_last_beat=$SECONDS
    log "launch gate ${gate_hook}: the group holds this instance until it reports ready, for up to ${gate_timeout}s per heartbeat"
  else
    gate_pending=no
    log "launch gate ${gate_hook}: no lifecycle action waits for this instance (a reboot, or a start while in service); nothing to complete"
  fi
}

# gate_keepalive: during a long wait, a heartbeat every third of the
# timeout, so that the hook does not abandon an instance that is still
# making progress within its own bounds.
gate_keepalive() {
  [[ "$gate_pending" == yes ]] || return 0
  ((SECONDS - gate_last_beat >= gate_timeout / 3)) || return 0
  local rc=0
  gate_call record-lifecycle-action-heartbeat || rc=$?
  if ((rc == 0)); then
    gate_last_beat=$SECONDS
    log "launch gate ${gate_hook}: heartbeat; the group waits another ${gate_timeout}s"
  else
    gate_pending=no
    log "launch gate ${gate_hook}: the lifecycle action is gone (completed or timed out); no more heartbeats"
  fi
}

# gate_complete RESULT: completes the waiting action with CONTINUE (or
# ABANDON), if one waits.
gate_complete() {
  if [[ "$gate_pending" == no ]]; then
    log "launch gate ${gate_hook}: nothing to complete"
    return 0
  fi
  step="completing the launch gate ${gate_hook} with $1"
  local rc=0
  gate_call complete-lifecycle-action --lifecycle-action-result "$1" || rc=$?
  gate_pending=no
  if ((rc == 0)); then
    log "launch gate ${gate_hook}: $1 sent"
  else
    log "launch gate ${gate_hook}: no lifecycle action waits for this instance; nothing to complete"
  fi
}

# gate_abandon: called by fail. Tells the group at once that this instance
# will not become ready, so that it launches another without waiting out
# the timeout. Best effort and bounded (three tries, each an aws_call); it
# only logs, and never fails, so the one FAILED line stays the first
# failure's. It returns 1 when no launch action waits for this instance (a
# later boot, or one after CONTINUE), for fail to report it instead; 0
# when it sent ABANDON, or gave up and leaves it to the hook's timeout.
# Without an instance id it cannot ask: the timeout decides.
gate_abandon() {
  [[ -n "${instance_id:-}" && -n "${region:-}" ]] || return 0
  [[ "$gate_pending" != no ]] || return 1
  gate_pending=no
  if retry 3 "$aws_call_seconds" "$retryable_errors" "launch gate ${gate_hook}: could not send ABANDON" \
    aws_call autoscaling complete-lifecycle-action --region "$region" --output text \
    --lifecycle-hook-name "$gate_hook" --auto-scaling-group-name "$group_name" --instance-id "$instance_id" \
    --lifecycle-action-result ABANDON; then
    log "launch gate ${gate_hook}: ABANDON sent; the group terminates this instance and launches another"
  elif grep -Eq "$gate_no_action" <<<"$aws_error"; then
    log "launch gate ${gate_hook}: no lifecycle action waits for this instance; nothing to abandon"
    return 1
  else
    log "launch gate ${gate_hook}: gave up sending ABANDON; the hook abandons this instance when its ${gate_timeout}s run out: ${aws_error}"
  fi
}
