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
# with backoff. It returns non-zero rather than fail, so that each caller
# decides whether the boot can go on without them.
dnf_install() {
  local attempt out
  if ! command -v dnf >/dev/null; then
    log "dnf install $*: dnf is not installed; the AMI must be Amazon Linux 2023"
    return 1
  fi
  for ((attempt = 1; attempt <= 3; attempt++)); do
    if out="$(dnf install -y -q "$@" 2>&1)"; then
      return 0
    fi
    ((${#out} <= 400)) || out="...${out: -400}"
    log "dnf install $*: failed (attempt ${attempt}/3): ${out}"
    ((attempt == 3)) || sleep_backoff "$((attempt + 2))"
  done
  return 1
}
