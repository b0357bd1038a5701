# shellcheck shell=bash
# The warm pool's watcher, when with_warm_watch is 1 (warmPoolState
# Running): the group takes an instance kept running in its warm pool
# without starting it again, so no boot runs the script. The boot in the
# pool installs selfhealing-warm-watch.service, which reads the target
# lifecycle state until the instance is headed InService, then runs the
# script, once. Type=oneshot with RemainAfterExit, as the boot unit: what
# the user script starts stays in the unit's cgroup, which a unit that
# ends would have systemd kill.

readonly warm_watch_unit=selfhealing-warm-watch.service warm_watch_poll_seconds=2

# start_warm_watch: installs the watcher's unit, enabled (a reboot in the
# pool starts it again), and starts it now.
start_warm_watch() {
  step="starting ${warm_watch_unit}"
  install_text "${unit_dir}/${warm_watch_unit}" 0644 <<UNIT
[Unit]
Description=Self-healing instance: runs the boot script when the group takes this instance out of its warm pool
After=selfhealing-boot.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${install_dir}/boot --warm-watch
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT
  enable_unit "$warm_watch_unit" multi-user.target
  [[ -d /run/systemd/system ]] || return 0
  [[ "$installed_changed" != true ]] || systemctl daemon-reload
  systemctl start --no-block "$warm_watch_unit"
}

# warm_watch: reads the target lifecycle state every
# warm_watch_poll_seconds (a metadata request on a reused token) until it
# leaves Warmed:*. InService: the watcher disables itself (the boot unit
# runs the script at later boots) and runs the script in its place. The
# path answers 404 until the first transition; a read that fails is tried
# again.
warm_watch() {
  until imds_get meta-data/autoscaling/target-lifecycle-state && [[ "$imds_value" != Warmed:* ]]; do
    sleep "$warm_watch_poll_seconds"
  done
  log "warm pool watcher: target lifecycle state ${imds_value}"
  [[ "$imds_value" == InService ]] || exit 0
  rm -f "${unit_dir}/multi-user.target.wants/${warm_watch_unit}"
  exec "$BASH" "${BASH_SOURCE[0]}"
}
