# shellcheck shell=bash
# Self-healing instance boot script: its settings, logging, failure,
# retries, the instance metadata service and AWS calls. The boot script is
# a generated header of readonly values and feature flags (with_* is 1 or
# 0), then this file, the files of the features that are on, and main.sh;
# see README.md here.

set -Eeuo pipefail # comment lines are in github.com/selfhealing-dev/selfhealing/userdata/sh
umask 077

# Tests point this at a metadata mock; on EC2 the service is link-local.
imds_endpoint="${SELFHEALING_IMDS_ENDPOINT:-http://169.254.169.254}"
readonly imds_endpoint

readonly log_file=/var/log/selfhealing-boot.log
readonly state_dir=/var/lib/selfhealing
readonly status_dir=/run/selfhealing
# Where the script installs itself, and its systemd units, for later boots.
readonly install_dir=/usr/local/libexec/selfhealing unit_dir=/etc/systemd/system
# Present once the user script has succeeded on this instance.
readonly user_script_done="${state_dir}/user-script.done"

# Retries are ours, not the CLI's, so that every attempt is logged and each
# step's wait is bounded in time: at most retry_attempts tries, sleeping
# between them for an exponentially growing, capped, jittered delay, and no
# try that could not end within retry_window_seconds of the step's start.
# The window covers IAM propagation of a role created in the same
# deployment. It is the Go package's RetryWindowSeconds.
readonly retry_attempts=10 retry_cap_seconds=20 retry_window_seconds=180
# One AWS call (aws_call) takes at most aws_call_seconds.
readonly aws_call_seconds=30
export AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=1 AWS_PAGER=""

step="starting"

# log MESSAGE...: one line per message, so that each grep of the log, and
# the one FAILED line, carries the whole message (the AWS CLI starts its
# errors with a newline).
log() {
  local line message="$*"
  message="${message//$'\n'/ }"
  line="$(date -u '+%Y-%m-%dT%H:%M:%S.%3NZ') selfhealing: ${message## }"
  # stderr reaches /var/log/cloud-init-output.log and the console log.
  printf '%s\n' "$line" >&2
  printf '%s\n' "$line" >>"$log_file" 2>/dev/null || true
}

# set_status TEXT: replaces the status file by rename, so that no reader
# sees half of it, through a temporary file of this call's own, so that two
# runs that write at once (one failing before it has the lock, say) never
# move each other's file away.
set_status() {
  local tmp
  mkdir -p "$status_dir"
  tmp="$(mktemp "${status_dir}/status.XXXXXX")"
  printf '%s\n' "$*" >"$tmp"
  mv -f "$tmp" "$status_dir/status"
}

# fail REASON...: logs the one FAILED line, records it as the status, has
# the group replace the instance, and exits 1. With a launch gate, its
# ABANDON does, when a launch action waits for this instance; otherwise
# the failure report marks the instance Unhealthy; with neither, nothing
# does.
fail() {
  trap - ERR
  log "FAILED: ${step}: $*"
  set_status "failed: ${step}: $*" || true
  if ! { ((with_launch_gate)) && gate_abandon; }; then
    report_failed_boot || true
  fi
  exit 1
}

# source_line LINE: where line LINE of this script is in its source, as
# userdata/sh/FILE:LINE: in the last file that starts (sh_lines, in the
# header, says where) at or before it, for the script keeps each file's
# lines where they are, a comment line left empty.
source_line() {
  local at="line $1" entry
  for entry in "${sh_lines[@]}"; do
    ((${entry#*:} > $1)) || at="userdata/sh/${entry%:*}:$(($1 - ${entry#*:} + 1))"
  done
  echo "$at"
}

trap 'fail "command exited $? at $(source_line "$LINENO")"' ERR

# backoff ATTEMPT [CAP]: sets backoff_ms to the pause after try ATTEMPT:
# min(CAP, 2^(ATTEMPT-1)) seconds, half of it jittered so that instances
# started together do not retry in lockstep. CAP defaults to
# retry_cap_seconds. (GNU sleep takes milliseconds as "1500e-3".)
backoff_ms=0
backoff() {
  local ceiling=${2:-$retry_cap_seconds}
  if (($1 <= 16 && (1 << ($1 - 1)) < ceiling)); then
    ceiling=$((1 << ($1 - 1)))
  fi
  backoff_ms=$((ceiling * 500 + RANDOM % (ceiling * 500 + 1)))
}

# sleep_backoff ATTEMPT [CAP]: sleeps the pause after try ATTEMPT.
sleep_backoff() {
  backoff "$@"
  sleep "${backoff_ms}e-3"
}

# retry_wait ATTEMPT STARTED LIMIT [ATTEMPTS]: the retry rule, after
# failed try ATTEMPT of a step that started at STARTED (in SECONDS) and
# whose tries take up to LIMIT seconds. It backs off and returns 0 if
# another try may follow; it returns 1 at once, with retry_stop saying why,
# if ATTEMPT was the last of ATTEMPTS (retry_attempts unless given) or if
# another try could not end within retry_window_seconds of STARTED.
retry_stop=""
retry_wait() {
  local attempt=$1 started=$2 limit=$3 attempts=${4:-$retry_attempts}
  if ((attempt >= attempts)); then
    retry_stop="after ${attempt} attempts"
    return 1
  fi
  backoff "$attempt"
  if ((SECONDS - started + (backoff_ms + 999) / 1000 + limit > retry_window_seconds)); then
    retry_stop="after ${attempt} attempts: another could not end within ${retry_window_seconds}s"
    return 1
  fi
  sleep "${backoff_ms}e-3"
}

# retry ATTEMPTS LIMIT RETRYABLE WHAT COMMAND...: the script's one retry
# loop. It runs COMMAND, whose tries take up to LIMIT seconds, until it
# succeeds, and sets aws_output to what it printed on stdout and aws_error
# to what it printed on stderr (named for the AWS CLI, which most callers
# run). A failed try whose error matches the extended regex RETRYABLE (''
# for any), or that ran out of time (exit 124), is logged as "WHAT
# (attempt N/ATTEMPTS): ERROR" and tried again by retry_wait's rule, or
# retry returns 2, with retry_stop saying why; any other error returns 1
# at once, for the caller to judge. It never fails, so that fail may use
# it too; call it in this shell, never in $(...), for the values it sets.
aws_output="" aws_error=""
retry() {
  # stderr goes to a file of this process's own: the boot, the health
  # check and the hand-over may each be retrying at once.
  local attempts=$1 limit=$2 retryable=$3 what=$4 attempt rc started=$SECONDS err="${status_dir}/stderr.$$"
  shift 4
  for ((attempt = 1; ; attempt++)); do
    rc=0
    aws_output="$("$@" 2>"$err")" || rc=$?
    aws_error="$(<"$err")"
    rm -f "$err"
    case "$rc" in
    0) return 0 ;;
    124) aws_error="no answer within ${limit}s${aws_error:+: ${aws_error}}" ;;
    *) grep -Eq "$retryable" <<<"$aws_error" || return 1 ;;
    esac
    log "${what} (attempt ${attempt}/${attempts}): ${aws_error}"
    retry_wait "$attempt" "$started" "$limit" "$attempts" || return 2
  done
}

# ---------------------------------------------------------------- IMDSv2 --

imds_token=""
# Each metadata request may take imds_max_time seconds: at first 5, so that
# a lost request is soon tried again, doubled by each request that runs out
# of it, up to 20, so that a slow metadata service is waited for, for the
# rest of the run.
imds_max_time=5
# The CLI on EC2 takes its credentials from the metadata service at every
# call, by default with one try of 1 s, which a busy metadata service
# exceeds: it gets two tries of the script's own time limit.
export AWS_METADATA_SERVICE_TIMEOUT=$imds_max_time AWS_METADATA_SERVICE_NUM_ATTEMPTS=2

# imds_wait_longer CURL_STATUS: after a request that ran out of time (curl
# exits 28), gives the next ones, the CLI's included, twice as long.
imds_wait_longer() {
  (($1 == 28 && imds_max_time < 20)) || return 0
  imds_max_time=$((imds_max_time * 2))
  AWS_METADATA_SERVICE_TIMEOUT=$imds_max_time
  log "metadata service: no answer in time; waiting up to ${imds_max_time}s from now on"
}

imds_refresh_token() {
  local rc=0
  imds_token="$(curl -sS -f --connect-timeout 2 --max-time "$imds_max_time" -X PUT \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 900' \
    "${imds_endpoint}/latest/api/token" 2>&1)" || rc=$?
  if ((rc != 0)); then
    log "metadata token request failed: ${imds_token}"
    imds_token=""
    imds_wait_longer "$rc"
    return 1
  fi
}

# imds_get PATH: sets imds_value to the metadata value at PATH. Returns 0
# on success, 4 if the path does not exist (404), 1 once retries run out.
# It runs in this shell, not a subshell, so the token is reused.
imds_value=""
imds_get() {
  local path=$1 attempt response code body rc started=$SECONDS
  imds_value=""
  for ((attempt = 1; ; attempt++)); do
    if [[ -n "$imds_token" ]] || imds_refresh_token; then
      rc=0
      response="$(curl -sS --connect-timeout 2 --max-time "$imds_max_time" -w '\n%{http_code}' \
        -H "X-aws-ec2-metadata-token: ${imds_token}" \
        "${imds_endpoint}/latest/${path}" 2>&1)" || rc=$?
      if ((rc != 0)); then
        response=$'\n000'
        imds_wait_longer "$rc"
      fi
      code="${response##*$'\n'}"
      body="${response%$'\n'*}"
      case "$code" in
      200)
        imds_value=$body
        return 0
        ;;
      404) return 4 ;;
      401) imds_token="" ;; # expired or rejected token: get a new one
      *) ;;                 # anything else: retry as it is
      esac
      log "metadata ${path}: HTTP ${code} (attempt ${attempt}/${retry_attempts}) ${body}"
    fi
    # A try may need a new token as well as the value.
    retry_wait "$attempt" "$started" "$((2 * imds_max_time))" || return 1
  done
}

# ------------------------------------------------------------- AWS calls --

# Errors worth another try: throttling, IAM that has not propagated yet
# (EC2 says AuthFailure or UnauthorizedOperation, Auto Scaling
# AccessDenied), instance and volume ids that EC2 does not know yet
# (eventual consistency), server errors, and credentials that the instance
# profile has not served yet, and endpoints that did not answer in time.
readonly retryable_errors='RequestLimitExceeded|Throttling|TooManyRequests|AuthFailure|UnauthorizedOperation|AccessDenied|InvalidInstanceID\.NotFound|InvalidVolume\.NotFound|InternalError|InternalFailure|ServiceUnavailable|Unavailable|\((5[0-9][0-9])\)|Unable to locate credentials|Could not connect|Connection was closed|Connect timeout|Read timeout|timed out'

# aws_call ARGS...: runs `aws ARGS...` once; every AWS call goes through
# it. The CLI gives up on a connection after 5 s, and on an endpoint that
# goes silent for 15 s; timeout ends a call still going after
# aws_call_seconds in all (an answer that trickles in, credentials that do
# not come), and then it exits 124.
aws_call() {
  timeout "$aws_call_seconds" aws --cli-connect-timeout 5 --cli-read-timeout 15 "$@"
}

# aws_try DESCRIPTION ARGS...: runs `aws ARGS...`, retrying retryable
# errors, and sets aws_output to its stdout, the only part callers parse,
# and aws_error to its stderr: its error, or a warning the CLI prints even
# when the call succeeds, which is logged. It returns 0 on success and 1 on
# any other error, for the caller to judge by aws_error; it fails the
# script when the retries run out. Call it in this shell, never in $(...),
# so that fail exits the script itself.
aws_try() {
  local what=$1 rc=0
  shift
  retry "$retry_attempts" "$aws_call_seconds" "$retryable_errors" "${what}: retryable error" aws_call "$@" || rc=$?
  ((rc != 2)) || fail "${what}: gave up ${retry_stop}: ${aws_error}"
  ((rc == 0)) || return 1
  [[ -z "$aws_error" ]] || log "${what}: the AWS CLI warned: ${aws_error}"
}

# aws_retry DESCRIPTION ARGS...: aws_try, and any error that is not worth
# another try fails the script at once.
aws_retry() {
  aws_try "$@" || fail "$1: ${aws_error}"
}
