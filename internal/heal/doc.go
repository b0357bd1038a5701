// Package heal is the end-to-end healing harness: it deploys the real program
// into moto, then plays the part of EC2 for each instance the Auto Scaling
// group launches. For each instance it starts AWS's metadata mock, obtains
// the instance role's credentials with sts:AssumeRole, and runs the user
// data that moto holds for the instance, byte for byte, under bash with the
// real AWS CLI. Then it kills the instance and watches the replacement take
// the Elastic IP.
//
// The tests in tests/e2e and `make demo` both drive it.
//
// # Stricter than moto
//
// moto is lenient where AWS is not, and a harness that inherited its
// leniency would prove nothing. The Lab therefore:
//
//   - runs moto with IAM enforcement on, so an action the instance role does
//     not allow fails; and, since moto checks actions only, checks every
//     resource ARN of each instance request against the policy exactly as the
//     program wrote it (see [Lab.authorize]);
//   - disassociates a terminated instance's Elastic IP, as AWS does and moto
//     does not, so a replacement never benefits from moto's stale state;
//   - reads each instance's user data from moto (DescribeInstanceAttribute)
//     and checks it against the launch template version the group launched;
//   - checks the launch template's metadata options itself, since moto's
//     instances ignore them, and serves metadata with IMDSv2 required;
//   - answers the launch gate's lifecycle calls and SetInstanceHealth, which
//     moto lacks or only records, with a testenv.AutoScalingModel that
//     refuses what AWS refuses, terminates an abandoned or unhealthy
//     instance as AWS does, and records every call ([Lab.Gate]); the
//     inspector checks these calls' group ARN against the policy too.
//
// tests/e2e/README.md lists each difference between moto and AWS and what the
// harness does about it.
package heal
