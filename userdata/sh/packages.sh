# shellcheck shell=bash
# Package installation, in the script when with_logs, with_agent_metrics or
# with_https is 1.

# install_packages PACKAGE...: dnf_install, unless rpm says every one is
# installed already: by this instance's boot in a warm pool, or an earlier
# boot. It returns non-zero rather than fail, as dnf_install.
install_packages() {
  if command -v rpm >/dev/null && rpm -q --quiet "$@"; then
    log "$*: installed already"
    return 0
  fi
  dnf_install "$@"
}

# dnf_install PACKAGE...: installs packages from the Amazon Linux repositories
# the AMI is locked to (signed, and versioned with the AMI), up to 3 times
# within the retry window. It returns non-zero rather than fail, so that
# each caller decides whether the boot can go on without them.
dnf_install() {
  if ! command -v dnf >/dev/null; then
    log "dnf install $*: dnf is not installed; the AMI must be Amazon Linux 2023"
    return 1
  fi
  retry 3 0 '' "dnf install $*: failed" dnf_once "$@" || {
    log "dnf install $*: gave up ${retry_stop}"
    return 1
  }
}

# dnf_once PACKAGE...: one dnf install; what it said, cut to its last 400
# characters, goes to stderr.
dnf_once() {
  local out
  out="$(dnf install -y -q "$@" 2>&1)" && return 0
  ((${#out} <= 400)) || out="...${out: -400}"
  printf '%s' "$out" >&2
  return 1
}
