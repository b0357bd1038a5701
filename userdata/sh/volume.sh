# shellcheck shell=bash
# The data volume, in the script when with_data_volume is 1:
# set_up_data_volume attaches the EBS volume volume_id, waiting up to
# volume_wait_seconds for it to be free, creates a file system on it only
# when it is provably new and blank (and may_format is true), mounts it at
# mount_path and records it in /etc/fstab.

# ----------------------------------------------------------- data volume --

# The volume outlives instances, so the one before this may still hold it:
# EBS detaches a terminated instance's volume "gradually", for a while AWS
# does not document. Wait for it, within the bound; after that, take it only
# from an instance that is gone, if allowed, and never from a live one.
#
# The volume comes before the address: a boot that finds the volume on a
# live instance fails here having taken nothing, so that instance keeps
# serving at the address. Taking the address first would leave neither
# instance serving. Nothing is lost by the order, since nothing serves at
# the address before the volume is mounted anyway.

# Tests point this at a directory of stand-in devices; on EC2 it is /dev.
readonly dev_dir="${SELFHEALING_DEV_DIR:-/dev}"
readonly device_wait_seconds=120
# The longest pause between two looks at the volume: 3 s, or 1 s while a
# predecessor hands the volume over (handover.sh), for it comes free then
# within seconds, and every second of the wait is an outage.
volume_poll_cap_seconds=3

# describe_volume: sets volume_state (available, in-use, creating, ...),
# volume_holder (the instance it is attached to, or ""), volume_attachment
# (attaching, attached, detaching, or "") and volume_format_tag (the value
# of its formatted_tag_key tag, or "-").
volume_state="" volume_holder="" volume_attachment="" volume_format_tag=""
describe_volume() {
  aws_retry "describe-volumes" ec2 describe-volumes --region "$region" --output text --volume-ids "$volume_id" \
    --query "Volumes[0].[State, Attachments[0].InstanceId, Attachments[0].State, (Tags[?Key=='${formatted_tag_key}'] | [0].Value) || '-']"
  read -r volume_state volume_holder volume_attachment volume_format_tag <<<"$aws_output" || true
  [[ "$volume_holder" != None ]] || volume_holder=""
  [[ "$volume_attachment" != None ]] || volume_attachment=""
}

# describe_holder INSTANCE: sets holder_state to the instance's state, or ""
# if EC2 no longer knows it. A filter, unlike --instance-ids, answers an
# unknown id with nothing instead of an error (which would be retried).
holder_state=""
describe_holder() {
  aws_retry "describe-instances" ec2 describe-instances --region "$region" --output text \
    --filters "Name=instance-id,Values=$1" --query 'Reservations[0].Instances[0].State.Name'
  holder_state=$aws_output
  [[ "$holder_state" != None ]] || holder_state=""
}

# volume_at_bound: the wait is over and the volume is not ours. It fails,
# unless the holder is gone and forceDetach allows taking the volume: then
# it force-detaches it and gives it the bound once more to become free.
volume_forced=false last_attach_error=""
volume_at_bound() {
  local holder=$volume_holder
  local held="data volume ${volume_id} is still ${volume_state} after ${volume_wait_seconds}s"
  if [[ "$volume_state" != in-use || -z "$holder" ]]; then
    fail "${held}${last_attach_error:+; attach-volume said: ${last_attach_error}}"
  fi
  held="${held}, attached to ${holder} (${volume_attachment})"
  if [[ "$volume_forced" == true ]]; then
    fail "${held}, even after it was force-detached"
  fi
  describe_holder "$holder"
  case "$holder_state" in
  terminated | shutting-down | "") ;;
  *) fail "${held}, which is ${holder_state}: a volume is never taken from a live instance" ;;
  esac
  if [[ "$force_detach" != true ]]; then
    fail "${held}, which is ${holder_state:-gone}, and forceDetach is off: detach it by hand, or allow forceDetach"
  fi
  step="force-detaching data volume ${volume_id} from ${holder}"
  log "${held}, which is ${holder_state:-gone} and can no longer write to it: force-detaching it, as forceDetach allows"
  # Naming the holder makes EC2 refuse the call if the volume has moved
  # to another instance since it was described.
  local detach=(--volume-id "$volume_id" --force)
  [[ -z "$holder_state" ]] || detach+=(--instance-id "$holder")
  if aws_try "detach-volume" ec2 detach-volume --region "$region" --output text "${detach[@]}" --query State; then
    log "detach-volume: ${aws_output}"
  else
    # It may have finished detaching on its own, or moved: the next
    # describe-volumes tells.
    grep -Eq 'IncorrectState|InvalidAttachment\.NotFound' <<<"$aws_error" || fail "detach-volume: ${aws_error}"
    log "detach-volume: ${aws_error}"
  fi
  volume_forced=true
  volume_deadline=$((SECONDS + volume_wait_seconds))
}

# probe_device: sets fs_found (TYPE), fs_uuid (UUID) and pt_found (PTTYPE)
# from blkid's low-level probe of the device itself, not its cache. It
# returns 0 if blkid found any signature and 2 if it found none; any other
# status of blkid fails the script, for a device that cannot be read must
# never be taken for an empty one.
fs_found="" fs_uuid="" pt_found=""
probe_device() {
  local out rc=0 key value
  fs_found="" fs_uuid="" pt_found=""
  out="$(blkid -p -o export "$device" 2>&1)" || rc=$?
  case "$rc" in
  0) ;;
  2) return 2 ;;
  *) fail "blkid -p ${device} exited ${rc}: ${out}" ;;
  esac
  while IFS='=' read -r key value; do
    case "$key" in
    TYPE) fs_found=$value ;;
    UUID) fs_uuid=$value ;;
    PTTYPE) pt_found=$value ;;
    *) ;;
    esac
  done <<<"$out"
}

# A volume is formatted only when it is provably new and blank: what AWS
# knows says so (format_allowed_by_aws) and so does the whole disk
# (disk_is_blank). Any doubt leaves it unformatted and fails the boot, for
# an instance that does not come up can be fixed, and lost data cannot.

# format_allowed_by_aws: fails, naming the reason, unless this stack may
# format the volume (it created it, or the user allowed it for an adopted
# one), EBS did not restore it from a snapshot, and no instance has
# recorded formatting it (the tag formatted_tag_key, set right after mkfs).
format_allowed_by_aws() {
  local snapshot tag
  [[ "$may_format" == true ]] ||
    fail "data volume ${volume_id} (${device}) shows no file system, and it was adopted with volumeId without dataVolume.formatIfBlank: not formatting a volume this stack did not create; restore its data, or allow formatIfBlank"
  aws_retry "describe-volumes" ec2 describe-volumes --region "$region" --output text --volume-ids "$volume_id" \
    --query "Volumes[0].[SnapshotId || '-', (Tags[?Key=='${formatted_tag_key}'] | [0].Value) || '-']"
  read -r snapshot tag <<<"$aws_output" || true
  [[ -n "$snapshot" ]] || fail "describe-volumes said nothing about data volume ${volume_id}; not formatting it"
  [[ "$snapshot" == - ]] ||
    fail "data volume ${volume_id} (${device}) shows no file system, but EBS restored it from snapshot ${snapshot}: a restored volume is never formatted; check the snapshot, or restore another"
  [[ "$tag" == - ]] ||
    fail "data volume ${volume_id} (${device}) shows no file system, but its tag ${formatted_tag_key} says an instance formatted it before (${tag}): its file system was damaged or wiped, not new; not formatting it. Inspect the disk by hand; to start afresh on purpose, delete the tag"
}

# zero_run OFFSET LENGTH: succeeds if LENGTH bytes of the device, from
# OFFSET, all read back, and all as zeros; otherwise sets why.
why=""
zero_run() {
  local read_bytes nonzero_bytes
  read_bytes="$(dd if="$device" iflag=skip_bytes,count_bytes skip="$1" count="$2" bs=1M status=none | wc -c)" ||
    fail "cannot read ${device} at offset $1"
  nonzero_bytes="$(dd if="$device" iflag=skip_bytes,count_bytes skip="$1" count="$2" bs=1M status=none | tr -d '\0' | wc -c)" ||
    fail "cannot read ${device} at offset $1"
  if ((read_bytes != $2)); then
    why="read ${read_bytes} of $2 bytes at offset $1"
    return 1
  fi
  if ((nonzero_bytes != 0)); then
    why="${nonzero_bytes} non-zero bytes in the $2 bytes at offset $1"
    return 1
  fi
}

# disk_is_blank: fails, naming what it found, unless the disk reads back
# as zeros where anything would be found: the first 16 MiB (partition
# tables, and file systems in partitions that start there, as they do at
# 1 MiB), the last MiB (the GPT backup header, md and other end-of-disk
# metadata), windows at the usual partition offsets, and 64 windows
# spread over the whole disk. A new EBS volume reads as zeros throughout.
# blkid also looks for a file system at each offset, to name what is there.
disk_is_blank() {
  local size offset type window=131072 i
  size="$(blockdev --getsize64 "$device")" || fail "cannot read the size of ${device}"
  if [[ ! "$size" =~ ^[0-9]+$ ]] || ((size < 33554432)); then
    fail "${device} is '${size}' bytes, too few for an EBS volume (1 GiB or more); not formatting it"
  fi
  for offset in 32256 1048576 2097152 4194304 8388608 16777216 33554432 67108864 104857600 134217728 268435456 536870912 1073741824; do
    ((offset + 65536 <= size)) || continue
    type="$(blkid -p -O "$offset" -s TYPE -o value "$device" 2>/dev/null)" || true
    [[ -z "$type" ]] || fail "${device} shows no file system at its start, but holds ${type} at offset ${offset} (a partition, its table wiped?): not formatting it"
  done
  local runs=("0 16777216" "$((size - 1048576)) 1048576")
  for offset in 33554432 67108864 104857600 134217728 268435456 536870912 1073741824; do
    ((offset + window <= size - 1048576)) && runs+=("${offset} ${window}")
  done
  for ((i = 1; i < 64; i++)); do
    offset=$((size * i / 64 / 4096 * 4096))
    ((offset + window <= size)) && runs+=("${offset} ${window}")
  done
  for run in "${runs[@]}"; do
    # shellcheck disable=SC2086 # run is two numbers, split on purpose
    zero_run $run ||
      fail "${device} shows no file system blkid knows, but is not blank: ${why}; it may hold data, so not formatting it"
  done
}

# record_format: records on the volume itself, in AWS, that an instance
# formatted it, so that no later boot formats it again, whatever the disk
# shows then.
record_format() {
  local value
  value="${fs_found} by ${instance_id} at $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
  step="recording on data volume ${volume_id} that it holds a file system"
  aws_retry "create-tags" ec2 create-tags --region "$region" --resources "$volume_id" \
    --tags "Key=${formatted_tag_key},Value=${value}"
  log "data volume ${volume_id}: tagged ${formatted_tag_key}=${value}; it will never be formatted again"
}

# mounted_device: prints the device mount_path is mounted from, if any.
mounted_device() {
  local source
  source="$(findmnt -n -o SOURCE --mountpoint "$mount_path")" || return 0
  readlink -f "$source"
}

# set_up_data_volume: the data volume's steps, in order.
set_up_data_volume() {
  volume_attach
  volume_find_device
  volume_check_fs
  volume_mount
  volume_record_fstab
}

# volume_attach: waits, within volume_wait_seconds, for the volume to
# be free, and attaches it here (or finds it attached here already).
volume_attach() {
  step="waiting for data volume ${volume_id} to be free"
  log "data volume ${volume_id}: waiting up to ${volume_wait_seconds}s for it to be free"
  volume_wait_start=$SECONDS
  volume_deadline=$((SECONDS + volume_wait_seconds))
  for ((poll = 1; ; poll++)); do
    describe_volume
    if [[ "$volume_holder" == "$instance_id" && "$volume_attachment" != detaching ]]; then
      log "data volume ${volume_id} is attached to this instance (${volume_attachment}); not attaching it again"
      break
    fi
    if [[ "$volume_state" == available ]]; then
      step="attaching data volume ${volume_id} to ${instance_id} as ${volume_device_name}"
      if aws_try "attach-volume" ec2 attach-volume --region "$region" --output text \
        --volume-id "$volume_id" --instance-id "$instance_id" --device "$volume_device_name" --query State; then
        log "attach-volume: data volume ${volume_id} is ${aws_output} to ${instance_id} as ${volume_device_name}"
        break
      fi
      # Another instance took it since, or it is still detaching where
      # describe-volumes has caught up first: wait on, within the bound.
      grep -Eq 'IncorrectState|VolumeInUse' <<<"$aws_error" || fail "attach-volume: ${aws_error}"
      last_attach_error=$aws_error
      log "attach-volume: not yet: ${aws_error}"
      step="waiting for data volume ${volume_id} to be free"
    else
      case "$volume_state" in
      in-use | creating) ;;
      *) fail "data volume ${volume_id} is ${volume_state}; it cannot be attached" ;;
      esac
      log "data volume ${volume_id} is ${volume_state}, attached to ${volume_holder:-no instance} (${volume_attachment:-no attachment}); waited $((SECONDS - volume_wait_start))s of ${volume_wait_seconds}s"
    fi
    if ((SECONDS >= volume_deadline)); then
      volume_at_bound
    fi
    if ((with_launch_gate)); then gate_keepalive; fi
    sleep_backoff "$poll" "$volume_poll_cap_seconds"
  done
}

# volume_find_device: waits, within device_wait_seconds, for the attached
# volume's block device to appear, and sets device to it.
volume_find_device() {
  step="waiting for the device of data volume ${volume_id}"
  # Nitro names the NVMe disk by its serial, the volume id; Xen keeps the
  # attach-volume name, as xvdf for sdf.
  device_letter=${volume_device_name##*/}
  device_letter=${device_letter#xvd}
  device_letter=${device_letter#sd}
  device_links=(
    "${dev_dir}/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volume_id//-/}"
    "${dev_dir}/xvd${device_letter}"
    "${dev_dir}/sd${device_letter}"
  )
  device="" device_link=""
  device_deadline=$((SECONDS + device_wait_seconds))
  for ((poll = 1; ; poll++)); do
    for device_link in "${device_links[@]}"; do
      if [[ -e "$device_link" ]]; then
        device="$(readlink -f "$device_link")"
        break 2
      fi
    done
    ((SECONDS < device_deadline)) || fail "no device appeared in ${device_wait_seconds}s at ${device_links[*]}"
    if ((with_launch_gate)); then gate_keepalive; fi
    sleep_backoff "$poll" 2
  done
  [[ -b "$device" ]] || fail "${device_link} leads to ${device}, which is not a block device"
  log "data volume ${volume_id} is ${device} (${device_link})"
}

# volume_check_fs: sets fs_found and fs_uuid to the device's file
# system, ext4 or xfs, making one only on a provably new and blank volume.
volume_check_fs() {
  step="checking data volume ${volume_id} (${device}) for a file system"
  probe_rc=0
  probe_device || probe_rc=$?
  if ((probe_rc == 2)); then
    volume_format_blank
  elif [[ "$may_format" == true && -n "$fs_found" ]]; then
    # A file system this stack may have made but not recorded (an instance
    # that died between mkfs and the tag, or one formatted before the tag
    # existed): record it now, so that it is never formatted again either.
    # The tag is as describe_volume last saw it; tagging twice is harmless.
    [[ "$volume_format_tag" != - ]] || record_format
  fi
  [[ -n "$fs_found" ]] || fail "${device} holds ${pt_found:+a ${pt_found} partition table or }a signature that is no file system; not formatting it"
  # fsType says what to create on a blank volume; a volume that has a file
  # system is mounted with its own, if it is one the component offers.
  case "$fs_found" in
  ext4 | xfs) ;;
  *) fail "${device} holds ${fs_found}, not an ext4 or xfs file system; it is left as it is" ;;
  esac
  [[ "$fs_uuid" =~ ^[0-9A-Fa-f-]+$ ]] || fail "${device}: its ${fs_found} file system has no usable UUID ('${fs_uuid}')"
  log "data volume ${volume_id} (${device}) holds ${fs_found} file system ${fs_uuid}"
}

# volume_format_blank: blkid found nothing, which it also says for what it
# cannot open, and for a file system whose start was wiped; only AWS's
# record and the whole disk can tell a new volume from one that holds data.
volume_format_blank() {
  format_allowed_by_aws
  disk_is_blank
  step="formatting data volume ${volume_id} (${device}) as ${fs_type}"
  command -v "mkfs.${fs_type}" >/dev/null || fail "mkfs.${fs_type} is not installed; the AMI must provide it (Amazon Linux 2023 does)"
  log "data volume ${volume_id} (${device}) is new and blank: EBS created it empty, no instance formatted it, and it reads as zeros; formatting it as ${fs_type}"
  mkfs_output="$("mkfs.${fs_type}" -q -L selfhealing "$device" 2>&1)" || fail "mkfs.${fs_type} ${device}: ${mkfs_output}"
  probe_device || fail "${device} shows no file system after mkfs.${fs_type}"
  record_format
}

# volume_mount: mounts the file system at mount_path, unless it is
# mounted there already; fails if anything else is.
volume_mount() {
  step="mounting data volume ${volume_id} at ${mount_path}"
  mkdir -p "$mount_path"
  mounted="$(mounted_device)"
  if [[ "$mounted" == "$device" ]]; then
    log "${mount_path} is already mounted from ${device}"
  elif [[ -n "$mounted" ]]; then
    fail "${mount_path} is already mounted from ${mounted}, not ${device}"
  else
    mount_output="$(mount -t "$fs_found" "UUID=${fs_uuid}" "$mount_path" 2>&1)" || fail "mount UUID=${fs_uuid}: ${mount_output}"
    mounted="$(mounted_device)"
    [[ "$mounted" == "$device" ]] || fail "${mount_path} is mounted from '${mounted}', not ${device}"
    log "mounted data volume ${volume_id} (${device}) at ${mount_path}"
  fi
}

# volume_record_fstab: /etc/fstab makes later boots mount the volume
# too, before this script runs.
volume_record_fstab() {
  step="recording data volume ${volume_id} in /etc/fstab"
  fstab_line="UUID=${fs_uuid} ${mount_path} ${fs_found} defaults,nofail 0 2"
  if [[ "$(awk -v path="$mount_path" '$2 == path' /etc/fstab)" == "$fstab_line" ]]; then
    log "/etc/fstab already mounts ${mount_path} from UUID=${fs_uuid}"
  else
    # Replace what a previous volume or file system left for this path; keep
    # every other line. Rename, so a crash never leaves half a file.
    awk -v path="$mount_path" '$2 != path' /etc/fstab >/etc/fstab.selfhealing
    printf '%s\n' "$fstab_line" >>/etc/fstab.selfhealing
    chmod 0644 /etc/fstab.selfhealing
    mv -f /etc/fstab.selfhealing /etc/fstab
    log "/etc/fstab: ${fstab_line}"
  fi
}
