// Package testenv provides a hermetic, loopback-only AWS test environment for
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
//   - A [FaultProxy] sits in front of either of them and injects the failures
//     the boot script must survive: throttling, 5xx, AuthFailure windows,
//     failed or dropped connections.
//   - [CLIEnv] and [RunCommand] run the AWS CLI or the boot script itself with a
//     minimal environment that cannot reach real AWS or pick up the developer's
//     credentials.
//
// # Conventions
//
// Helpers that take a [testing.TB] report problems by failing the test with
// t.Fatalf (or skip it, see [RequireTool]) and register their own t.Cleanup, so
// every process they start is stopped, with its whole process group, when the
// test ends. Helpers that take a [context.Context] instead return an error and
// leave the decision to the caller.
//
// A missing external tool (moto_server, aws, go) skips the test on a developer
// machine but fails it when the CI environment variable is set, so CI can never
// go green by skipping.
package testenv
