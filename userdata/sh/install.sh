# shellcheck shell=bash
# Every boot: the script installs itself, and its systemd unit, for the
# boots after the first.

# ------------------------------------------------------------ every boot --

# User data runs once per instance. The address must be taken again at
# every boot that puts the instance in service (a warm-pool instance boots
# first in the pool, where it takes nothing), and the volume mounted, so the
# script installs itself and a systemd unit that runs it at every later
# boot. installed_changed says whether this run changed an installed file.
installed_changed=false

# install_text DEST MODE: installs what stdin holds at DEST, with MODE, if
# it differs from what is there; by rename, so that a crash never leaves
# half a file.
install_text() {
  local dest=$1 mode=$2
  (umask 022 && mkdir -p "$(dirname "$dest")")
  cat >"${dest}.selfhealing-new"
  chmod "$mode" "${dest}.selfhealing-new"
  if [[ -e "$dest" && "$(sha256sum <"${dest}.selfhealing-new")" == "$(sha256sum <"$dest")" ]]; then
    rm -f "${dest}.selfhealing-new"
    return 0
  fi
  mv -f "${dest}.selfhealing-new" "$dest"
  installed_changed=true
  log "installed ${dest}"
}

# enable_unit UNIT TARGET: what `systemctl enable` does for a unit that is
# WantedBy TARGET, done by hand so that it needs no running systemd. The
# unit starts at the next boot, not now.
enable_unit() {
  local link="${unit_dir}/$2.wants/$1"
  [[ "$(readlink "$link" || true)" != "${unit_dir}/$1" ]] || return 0
  (umask 022 && mkdir -p "${unit_dir}/$2.wants")
  ln -sfn "${unit_dir}/$1" "$link"
  installed_changed=true
  log "enabled $1 (${link})"
}

install_for_later_boots() {
  step="installing the boot script for later boots"
  [[ -f "${BASH_SOURCE[0]}" ]] || fail "cannot find this script's own file ('${BASH_SOURCE[0]}') to install"
  install_text "${install_dir}/boot" 0700 <"${BASH_SOURCE[0]}"
  # Type=oneshot with RemainAfterExit: the unit counts as active once the
  # script succeeded, so units ordered After= it start only then, and it
  # does not run twice in one boot. It needs the network for the AWS
  # APIs. multi-user.target waits for it (Before=), so services that need
  # the data volume or the address can order themselves
  # After=selfhealing-boot.service. Every wait in the script is bounded
  # itself, and the launch gate bounds the whole, so systemd adds no
  # timeout of its own.
  install_text "${unit_dir}/selfhealing-boot.service" 0644 <<UNIT
[Unit]
Description=Self-healing instance: data volume, Elastic IP and launch gate, at every boot after the first
Documentation=https://github.com/selfhealing-dev/selfhealing
Wants=network-online.target
After=network-online.target
Before=multi-user.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${install_dir}/boot
TimeoutStartSec=infinity
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
UNIT
  enable_unit selfhealing-boot.service multi-user.target
  if ((with_health_check)); then
    install_health_units
  fi
  if ((with_handover)); then
    install_handover_unit
  fi
  [[ "$installed_changed" == true ]] || log "the boot script and its units are installed already"
}
