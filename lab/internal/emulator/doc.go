// Package emulator provides a hermetic, loopback-only AWS test environment for
// exercising the instance boot script and the Go code around it without an AWS
// account.
//
// The environment is assembled from real, separately maintained programs:
//
//   - moto_server (moto's standalone server) stands in for EC2, Auto Scaling,
//     IAM and STS; see [StartMoto].
//   - AWS's own Amazon EC2 Metadata Mock stands in for the instance metadata
//     service (IMDS); it is pinned in go.mod as a Go tool dependency and built
//     from the module cache, never downloaded at test time; see [StartIMDS] and
//     [MetadataMockBinary].
//   - A [FaultProxy] sits in front of either of them, counts and logs requests,
//     and injects the failures the boot script must survive: throttling, 5xx,
//     AuthFailure windows, failed or dropped connections; its inspector
//     ([FaultProxy.Inspect]) can refuse what moto would wrongly allow.
//   - An [HTTPSProxy] lets AWS CLI v2, the CLI Amazon Linux 2023 ships
//     ([AWSCLIv2E]), reach a fault proxy in front of moto under AWS's real
//     host names, with no endpoint override (v2.9 ignores
//     AWS_ENDPOINT_URL): it answers CONNECT for *.amazonaws.com, terminates
//     TLS with a CA of its own (AWS_CA_BUNDLE), and forwards each request
//     unchanged. [InstanceCLIEnvE] and [RunCommand] run the CLI or the boot
//     script itself with an instance's minimal environment, credentials
//     from the metadata mock included, that cannot reach real AWS or pick up
//     the developer's credentials; [CLIEnvE] is the same with static keys,
//     for the harness's own calls.
//   - [EBSModel] sits between a fault proxy and moto and makes EC2's volume
//     API as strict as AWS's (in-use and cross-zone attaches refused, volumes
//     that take their time to detach); [NewLoopDevice] makes a real block
//     device that stands in for the volume's disk, and a [VolumeDisk] shows
//     it in the stand-in /dev of the instance it is attached to (by NVMe
//     serial or Xen name, at once or after a delay), as udev would;
//     [MkfsShims] count the boot's mkfs calls. It holds network interfaces
//     the same way (an interface attached elsewhere refused with
//     InvalidNetworkInterface.InUse, a dead instance's interface detaching
//     for a while); [InterfaceMetadata] shows an instance the interfaces
//     attached to it in its metadata, and only those.
//   - [APIChain] is the way instances' API requests take, as the lab and the
//     boot-script tests build it: fault proxy, [AutoScalingModel],
//     [EBSModel], moto.
//   - [RunFirstBoot] and [RunBoots] run user data as a new instance would, in
//     a private mount namespace with the instance's own /var/log, /var/lib,
//     /run, /srv, /etc and /usr/local. [BootInstanceE] does the same but
//     keeps the instance up, with what its boot mounted, until
//     [LiveInstance.Stop], and runs further commands in it
//     ([LiveInstance.Run]); [RunOnInstance] runs what systemd would run
//     there at a later boot, after [InstanceRoot.Reboot].
//   - [AutoScalingModel] answers the lifecycle calls moto lacks
//     (CompleteLifecycleAction, RecordLifecycleActionHeartbeat) and turns
//     SetInstanceHealth Unhealthy into a termination, as AWS does, and
//     records each; [NewLaunchGroup] makes a group of one with a launch hook
//     in moto.
//   - [TerminateInstance] terminates an instance as AWS does, taking its
//     Elastic IP association off, which moto leaves on
//     ([TerminateInstanceWith] keeps it, for the window before AWS removes
//     it).
//   - [InstanceLaunchSettings] reads what EC2 applies to an instance from
//     the launch template version it launched from, which moto applies only
//     in part: the user data (checked against moto's instance) and whether
//     IMDSv2 is required (moto ignores metadata options).
//   - Package iamcheck (internal/emulator/iamcheck) is IAM's resource-level
//     check, which moto's enforcement lacks: an inspector for a
//     [FaultProxy] that maps each EC2 and Auto Scaling request to the
//     resources IAM authorizes and evaluates the policy as written on each,
//     conditions and resource tags included. It is a package of its own
//     only because it reads internal/policy's documents, and
//     internal/policy imports userdata, whose tests import this package.
//
// These are the rules of "AWS is stricter than moto" that the tests rely
// on, each in one place: internal/heallab and the userdata tests wire
// them up. Only the check of what the lab itself plays stays in
// internal/heallab: the trust policy of the role it assumes for the
// instance. tests/e2e/README.md lists every rule with its place.
//
// # Conventions
//
// Like terratest, most helpers come in pairs. Foo(t testing.TB, ...) fails
// the test with t.Fatalf (or skips it, see [RequireTool]) and registers its
// own t.Cleanup, so every process it starts is stopped, with its whole
// process group, when the test ends. Its sibling FooE(...) takes no
// testing.TB and returns an error instead, leaving cleanup to the caller
// (Close methods); it is what code outside tests uses, such as cmd/demo and
// the internal/heallab harness. Foo is a thin wrapper over FooE. The pairs are
// [StartMoto]/[StartMotoE], [StartIMDS]/[StartIMDSE],
// [NewFaultProxy]/[NewFaultProxyE], [StartHTTPSProxy]/[StartHTTPSProxyE],
// [CLIEnv]/[CLIEnvE], [InstanceProfileCLIEnv]/[InstanceCLIEnvE],
// [StartAPIChain]/[StartAPIChainE], [NewMkfsShims]/[NewMkfsShimsE] and
// [MetadataMockBinary]/[MetadataMockBinaryE]. Helpers that take a
// [context.Context] instead return an error too.
//
// The E functions need what the tests need: moto_server and the go command
// on PATH, and this module's source tree, from which the metadata mock is
// built (see [MetadataMockBinaryE]); "go run ./cmd/..." from a checkout
// provides it. On Linux the servers are also killed if their caller dies
// without closing them.
//
// A missing external tool (moto_server, AWS CLI v2, go) skips the test on a developer
// machine but fails it when the CI environment variable is set, so CI can never
// go green by skipping. The E functions report it as an error wrapping
// exec.ErrNotFound.
package emulator
