// Package heallab is the end-to-end healing lab: it deploys the real program
// into moto, then plays the part of EC2 for each instance the Auto Scaling
// group launches. For each instance it obtains the instance role's
// credentials with sts:AssumeRole, starts AWS's metadata mock serving them
// at iam/security-credentials/ROLE, and runs the user data that moto holds
// for the instance, byte for byte, under bash with AWS CLI v2, which calls
// AWS's real host names through [Lab.Proxy] (see emulator.HTTPSProxy). Then
// it kills the instance and watches the replacement take the Elastic IP.
//
// The tests in tests/e2e and `make demo` both drive it.
//
// # Stricter than moto
//
// moto is lenient where AWS is not, and a harness that inherited its
// leniency would prove nothing. Each rule of what AWS does that moto does
// not lives once, in the emulator layer, where the userdata tests can use
// it too; the Lab wires them up:
//
//   - IAM: it runs moto with IAM enforcement on, so an action the instance
//     role does not allow fails; and, since moto checks actions only, it
//     installs iamcheck.Inspector (internal/emulator/iamcheck) on its API
//     proxy, which checks every resource ARN of each instance request
//     against the policy exactly as the program wrote it, conditions
//     included, each resource with its own tags as aws:ResourceTag/KEY,
//     and the group ARN of the Auto Scaling calls. The Lab only chooses
//     the document, account and region, and lends its administrator for
//     the lookups.
//   - Termination: emulator.TerminateInstance disassociates a terminated
//     instance's Elastic IP, as AWS does and moto does not, so a
//     replacement never benefits from moto's stale state;
//     KillOptions.KeepAssociation passes emulator.TerminateOptions'
//     KeepAssociation, to model the window before AWS removes it.
//   - EBS: emulator.EBSModel sits between the API proxy and moto, so
//     attaching a volume in use or in another zone is refused as on AWS,
//     and, when the Lab kills an instance that had the stack's data volume
//     attached, it keeps the volume in-use, attached to the dead instance,
//     for a while (KillOptions.VolumeHeldFor), as EBS does and moto does
//     not.
//   - Auto Scaling: emulator.AutoScalingModel answers the launch gate's
//     lifecycle calls and SetInstanceHealth, which moto lacks or only
//     records, refuses what AWS refuses (SetInstanceHealth for an instance
//     in no group included), terminates an abandoned or unhealthy instance
//     as AWS does (through the Lab's own termination, above), and records
//     every call ([Lab.Gate]).
//   - Launch settings: emulator.InstanceLaunchSettings reads what EC2
//     applies from the launch template version the group launched, which
//     moto's instances apply only in part: the user data (checked against
//     what moto holds for the instance, byte for byte) and the metadata
//     options (moto ignores them); the Lab boots that user data and serves
//     metadata with IMDSv2 required, after refusing a version that does
//     not require it.
//
// One check stays in the Lab (lab.go), since it is part of how the Lab
// plays the instance profile: before it assumes the instance role itself,
// it checks that the role's trust policy admits EC2.
//
// # The data volume
//
// A stack with a data volume gets one loop device per lab, of the volume's
// size, as the volume's disk. It shows in an instance's own stand-in /dev
// ($SELFHEALING_DEV_DIR) at the NVMe by-id path only once AttachVolume to
// that instance succeeded. Each booted instance stays up, in its own mount
// namespace with what its boot mounted, until Kill ends it, so the lab can
// write on its volume meanwhile (Lab.WriteVolumeFile) and every later boot
// is checked for that file (BootResult.Volume).
//
// tests/e2e/README.md lists each difference between moto and AWS and what the
// harness does about it.
package heallab
