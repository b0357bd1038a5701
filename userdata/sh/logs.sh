# shellcheck shell=bash
# Logs, in the script when with_logs or with_agent_metrics is 1: the
# CloudWatch agent ships the boot script's log, cloud-init's output and the
# configured files to the log group log_group (with_logs), and publishes
# the memory and disk use the alarms read (with_agent_metrics), configured
# by cloudwatch_agent_config (JSON), which it writes to
# cloudwatch_agent_config_file.

readonly cloudwatch_agent_ctl=/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl

# start_cloudwatch_agent: installs the agent if need be, and starts it with
# its configuration. It returns non-zero rather than fail.
start_cloudwatch_agent() {
  local out
  printf '%s\n' "$cloudwatch_agent_config" >"$cloudwatch_agent_config_file" || return 1
  if [[ ! -x "$cloudwatch_agent_ctl" ]]; then
    install_packages amazon-cloudwatch-agent || return 1
  fi
  out="$("$cloudwatch_agent_ctl" -a fetch-config -m ec2 -s -c "file:${cloudwatch_agent_config_file}" 2>&1)" || {
    log "amazon-cloudwatch-agent-ctl failed: ${out}"
    return 1
  }
}

# set_up_logs: starts the CloudWatch agent. Logs and metrics are how a
# failure is seen, not part of the service, and the address and volume are
# already in place: if the agent cannot start, the boot says so and goes on
# rather than withhold the application.
set_up_logs() {
  step="starting the CloudWatch agent"
  if start_cloudwatch_agent; then
    if ((with_logs)); then
      log "the CloudWatch agent ships this log and cloud-init's to ${log_group}, one stream per file named ${instance_id}/<path>"
    fi
    if ((with_agent_metrics)); then
      log "the CloudWatch agent publishes memory and disk use to CloudWatch for the alarms"
    fi
  else
    log "WARNING: the CloudWatch agent did not start; logs stay on this instance and in its console output, and the memory and disk alarms get no data"
  fi
}
