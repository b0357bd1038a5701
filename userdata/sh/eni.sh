# shellcheck shell=bash
# The persistent network interface, in the script when
# with_network_interface is 1: set_up_network_interface attaches the
# elastic network interface eni_id to this instance at device index
# eni_device_index, waiting up to eni_wait_seconds for the instance before
# to let go of it, then checks from the instance metadata that it is here
# with its private address. The stack associated the Elastic IP with the
# interface once, so the public address comes with it.

# ----------------------------------------------------- network interface --

# The interface outlives instances, as the data volume does, and follows
# the volume's rules: wait for the one before to let go, within the bound;
# after that, take it only from an instance that is gone, if allowed, and
# never from a live one.

readonly eni_poll_cap_seconds=3

# describe_network_interface: sets eni_status (available, in-use,
# attaching, detaching, ...), eni_private_ip, eni_holder (the instance it
# is attached to, or ""), eni_attachment_id and eni_attachment (attaching,
# attached, detaching, or "") and eni_public_ip (the address associated
# with it, or "").
eni_status="" eni_private_ip="" eni_holder="" eni_attachment_id="" eni_attachment="" eni_public_ip=""
describe_network_interface() {
  aws_retry "describe-network-interfaces" ec2 describe-network-interfaces --region "$region" --output text \
    --network-interface-ids "$eni_id" \
    --query 'NetworkInterfaces[0].[Status, PrivateIpAddress, Attachment.InstanceId, Attachment.AttachmentId, Attachment.Status, Association.PublicIp]'
  read -r eni_status eni_private_ip eni_holder eni_attachment_id eni_attachment eni_public_ip <<<"$aws_output" || true
  [[ "$eni_holder" != None ]] || eni_holder=""
  [[ "$eni_attachment_id" != None ]] || eni_attachment_id=""
  [[ "$eni_attachment" != None ]] || eni_attachment=""
  [[ "$eni_public_ip" != None ]] || eni_public_ip=""
}

# interface_holder_state INSTANCE: sets eni_holder_state to the instance's
# state, or "" if EC2 no longer knows it (a filter answers an unknown id
# with nothing, where --instance-ids would answer an error).
eni_holder_state=""
interface_holder_state() {
  aws_retry "describe-instances" ec2 describe-instances --region "$region" --output text \
    --filters "Name=instance-id,Values=$1" --query 'Reservations[0].Instances[0].State.Name'
  eni_holder_state=$aws_output
  [[ "$eni_holder_state" != None ]] || eni_holder_state=""
}

# network_interface_at_bound: the wait is over and the interface is not
# ours. It fails, unless the holder is gone and eni_force_detach allows
# taking the interface: then it force-detaches it and gives it the bound
# once more to become free.
eni_forced=false eni_last_attach_error=""
network_interface_at_bound() {
  local holder=$eni_holder
  local held="network interface ${eni_id} is still ${eni_status} after ${eni_wait_seconds}s"
  if [[ -z "$holder" || -z "$eni_attachment_id" ]]; then
    fail "${held}${eni_last_attach_error:+; attach-network-interface said: ${eni_last_attach_error}}"
  fi
  held="${held}, attached to ${holder} (${eni_attachment})"
  [[ "$eni_forced" != true ]] || fail "${held}, even after it was force-detached"
  interface_holder_state "$holder"
  case "$eni_holder_state" in
  terminated | shutting-down | "") ;;
  *) fail "${held}, which is ${eni_holder_state}: a network interface is never taken from a live instance" ;;
  esac
  [[ "$eni_force_detach" == true ]] ||
    fail "${held}, which is ${eni_holder_state:-gone}, and forceDetach is off: detach it by hand, or allow forceDetach"
  step="force-detaching network interface ${eni_id} from ${holder}"
  log "${held}, which is ${eni_holder_state:-gone}: force-detaching it, as forceDetach allows"
  # The attachment id is the holder's own: EC2 refuses the call if the
  # interface has moved to another instance since it was described.
  if aws_try "detach-network-interface" ec2 detach-network-interface --region "$region" \
    --attachment-id "$eni_attachment_id" --force; then
    log "detach-network-interface: ${eni_attachment_id} detaching"
  else
    grep -Eq 'IncorrectState|InvalidAttachmentID\.NotFound' <<<"$aws_error" || fail "detach-network-interface: ${aws_error}"
    log "detach-network-interface: ${aws_error}"
  fi
  eni_forced=true
  eni_deadline=$((SECONDS + eni_wait_seconds))
}

# attach_network_interface: waits for the interface to be free and
# attaches it to this instance, or finds it attached here already.
attach_network_interface() {
  step="waiting for network interface ${eni_id} to be free"
  log "network interface ${eni_id}: waiting up to ${eni_wait_seconds}s for it to be free"
  local started=$SECONDS poll
  eni_deadline=$((SECONDS + eni_wait_seconds))
  for ((poll = 1; ; poll++)); do
    describe_network_interface
    if [[ "$eni_holder" == "$instance_id" && "$eni_attachment" != detaching ]]; then
      log "network interface ${eni_id} is attached to this instance (${eni_attachment}); not attaching it again"
      return 0
    fi
    if [[ "$eni_status" == available ]]; then
      step="attaching network interface ${eni_id} to ${instance_id} as device ${eni_device_index}"
      if aws_try "attach-network-interface" ec2 attach-network-interface --region "$region" --output text \
        --network-interface-id "$eni_id" --instance-id "$instance_id" --device-index "$eni_device_index" --query AttachmentId; then
        log "attach-network-interface: ${eni_id} is attached to ${instance_id} as device ${eni_device_index} (${aws_output})"
        return 0
      fi
      # Another instance took it since, or it is still detaching where
      # describe-network-interfaces caught up first: wait on, in the bound.
      grep -Eq 'InvalidNetworkInterface\.InUse|IncorrectState' <<<"$aws_error" || fail "attach-network-interface: ${aws_error}"
      eni_last_attach_error=$aws_error
      log "attach-network-interface: not yet: ${aws_error}"
      step="waiting for network interface ${eni_id} to be free"
    else
      case "$eni_status" in
      in-use | attaching | detaching) ;;
      *) fail "network interface ${eni_id} is '${eni_status}'; it cannot be attached" ;;
      esac
      log "network interface ${eni_id} is ${eni_status}, attached to ${eni_holder:-no instance} (${eni_attachment:-no attachment}); waited $((SECONDS - started))s of ${eni_wait_seconds}s"
    fi
    if ((SECONDS >= eni_deadline)); then
      network_interface_at_bound
    fi
    if ((with_launch_gate)); then gate_keepalive; fi
    sleep_backoff "$poll" "$eni_poll_cap_seconds"
  done
}

# interface_in_metadata: succeeds if the instance metadata lists the
# interface among this instance's, with eni_private_ip among its private
# addresses; otherwise sets eni_seen to what it found.
eni_seen=""
interface_in_metadata() {
  local macs mac rc=0
  eni_seen="no interface ${eni_id}"
  imds_get meta-data/network/interfaces/macs/ || rc=$?
  ((rc == 0)) || { eni_seen="no list of interfaces (${rc})" && return 1; }
  macs=$imds_value
  for mac in $macs; do
    mac=${mac%/}
    imds_get "meta-data/network/interfaces/macs/${mac}/interface-id" || continue
    [[ "$imds_value" == "$eni_id" ]] || continue
    imds_get "meta-data/network/interfaces/macs/${mac}/local-ipv4s" || { eni_seen="${eni_id} (${mac}) without local-ipv4s" && return 1; }
    eni_seen="${eni_id} (${mac}) with ${imds_value//$'\n'/ }"
    grep -qxF "$eni_private_ip" <<<"$imds_value" || return 1
    eni_mac=$mac
    return 0
  done
  return 1
}

# verify_network_interface: waits, bounded, for the instance metadata to
# show the interface here with its private address, which it does once
# EC2 has attached it.
eni_mac=""
verify_network_interface() {
  step="verifying network interface ${eni_id} is on ${instance_id}"
  describe_network_interface
  [[ -n "$eni_private_ip" && "$eni_private_ip" != None ]] || fail "describe-network-interfaces gave no private address for ${eni_id}"
  local started=$SECONDS attempt
  for ((attempt = 1; ; attempt++)); do
    interface_in_metadata && break
    log "instance metadata shows ${eni_seen}, not ${eni_id} with ${eni_private_ip} yet (attempt ${attempt}/${retry_attempts})"
    retry_wait "$attempt" "$started" "$((2 * imds_max_time))" ||
      fail "instance metadata shows ${eni_seen}, not ${eni_id} with ${eni_private_ip}; gave up ${retry_stop}"
  done
  [[ -n "$eni_public_ip" ]] ||
    fail "network interface ${eni_id} has no Elastic IP associated; the stack associates it with the interface, so check the stack's ec2 EipAssociation"
  public_ip=$eni_public_ip
  log "network interface ${eni_id} (${eni_mac}) is on ${instance_id} with private address ${eni_private_ip} and Elastic IP ${public_ip}"
}

# set_up_network_interface: the interface's steps, in order.
set_up_network_interface() {
  attach_network_interface
  verify_network_interface
}
