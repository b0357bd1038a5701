# shellcheck shell=bash
# The failure report, in every script: a boot that fails with no launch
# action waiting marks the instance Unhealthy in its group, group_name.

# report_failed_boot: called by fail when no launch action waits to be
# abandoned (no launch gate, or a later boot). A failed boot would leave
# the instance running, so in service, for good: the group's EC2 health
# check sees only that it runs, and the app health check skips an instance
# that never wrote ready. So it marks the instance Unhealthy in its group,
# which then terminates and replaces it, as after an ABANDON; at every
# boot, since a later one that fails leaves the instance without its
# address or volume just the same.
# --no-should-respect-grace-period: by default the group keeps a new
# instance in service through its health check grace period "before
# terminating it if it's found to be unhealthy" (ASG User Guide), and a
# failed boot is over within it; a boot that failed will not pass later,
# and nothing reports it again. Best effort and bounded like the ABANDON
# (three tries, each an aws_call); it only logs, and never fails, so the
# one FAILED line stays the first failure's.
report_failed_boot() {
  if [[ -z "${instance_id:-}" || -z "${region:-}" ]]; then
    log "without its instance id this instance cannot mark itself Unhealthy in ${group_name}; it stays in service, failed, until it is replaced by hand"
    return 0
  fi
  if retry 3 "$aws_call_seconds" "$retryable_errors" "could not mark this instance Unhealthy in ${group_name}" \
    aws_call autoscaling set-instance-health --region "$region" --instance-id "$instance_id" \
    --health-status Unhealthy --no-should-respect-grace-period; then
    log "marked this instance Unhealthy in ${group_name}; the group terminates it and launches another"
    return 0
  fi
  log "gave up marking this instance Unhealthy in ${group_name}; it stays in service, failed, until it is replaced by hand: ${aws_error}"
}
