// Package mockmonitor groups the project's Pulumi mock resource monitors
// (pulumi.WithMocks), the stand-ins for the engine and the AWS provider that
// let a test run the real program without a cloud:
//
//   - [github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake]
//     invents ids and answers from a small, self-consistent fake account;
//     unit tests, the program tests and offline synth use it.
//   - [github.com/selfhealing-dev/selfhealing/lab/internal/mockmonitor/moto],
//     in the test lab's own module (lab/),
//     creates every resource in a running moto_server and answers every
//     invoke from it; the end-to-end lab deploys with it.
//   - [github.com/selfhealing-dev/selfhealing/internal/mockmonitor/record]
//     keeps what either monitor was asked to register, for tests to inspect.
//
// The emulators the deployed resources then live in (moto, the metadata
// mock, the fault proxy, loop-device volumes) are in lab/internal/emulator.
package mockmonitor
