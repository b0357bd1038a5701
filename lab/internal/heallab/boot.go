package heallab

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// Script names the user data an instance boots with.
type Script string

const (
	// Ours is the launch template's user data: the component's boot script.
	Ours Script = "ours"
	// Seed is the seed article's user data, for comparison.
	Seed Script = "seed"
)

// BootOptions shape one boot.
type BootOptions struct {
	// Script is the user data to run; Ours if empty.
	Script Script
	// MetadataFaults, if set, arranges faults on the proxy in front of this
	// instance's metadata service before the boot.
	MetadataFaults func(*emulator.FaultProxy)
	// IMDSv2Only requires metadata tokens of the seed script too. Our
	// script always gets tokens required, as its launch template says.
	IMDSv2Only bool
	// LifecycleState, if set, is what the instance's metadata says at
	// autoscaling/target-lifecycle-state, instead of the mock's
	// InService: "Warmed:Stopped" for an instance launched into a warm
	// pool of stopped instances.
	LifecycleState string
	// Start boots the instance again, as EC2 starts it after a stop: from
	// the disk of its last boot, running what its boot script installed
	// (as its unit would), not its user data.
	Start bool
}

// BootResult is what one boot did.
type BootResult struct {
	Instance Instance
	Script   Script
	emulator.CommandResult
	// Log and Status are the boot script's log file and status file, as
	// the instance's disk holds them afterwards ("" for the seed script).
	Log, Status string
	// Healed reports that the script exited 0, the Elastic IP is on this
	// instance and, if the stack has a data volume, the volume is mounted
	// with the data the lab last wrote on it (Volume.Intact).
	Healed bool
	// Silent reports a failure the script did not report: it exited 0, yet
	// the address is not here or the data volume is not intact.
	Silent bool
	// HoldsAddress reports that the Elastic IP is on this instance after
	// the boot.
	HoldsAddress bool
	// Volume is what the boot did with the stack's data volume.
	Volume VolumeResult
	// UserScriptRan reports that StandInUserScript left its mark.
	UserScriptRan bool
	// FailureLine is the script's "FAILED:" line, if it wrote one.
	FailureLine string
	// Ready is how long the script ran, when it healed; -1 otherwise.
	Ready time.Duration
	// Associated is how long after the start the association was verified
	// (for the seed script, which verifies nothing: when it finished); -1
	// if it never was, or the script failed.
	Associated time.Duration
	// APICalls counts the AWS API requests the instance made.
	APICalls int
	// RetrySettings are the AWS CLI retry settings the script exports
	// itself (ScriptRetrySettings); the harness sets none.
	RetrySettings []string
	// Env is the environment the script started with.
	Env []string
}

// Boot plays EC2 for one first boot of inst: it serves the instance's
// metadata (IMDSv2 required, unless the seed script needs IMDSv1), with
// its role's credentials at iam/security-credentials/ROLE, where the AWS
// CLI takes them from, and runs its user data with AWS CLI v2 reaching
// AWS's real host names through l.Proxy. The instance then stays up, with
// what its boot mounted and its metadata service, until Kill. Faults on
// l.API stay as the caller set them.
func (l *Lab) Boot(ctx context.Context, inst Instance, opts BootOptions) (BootResult, error) {
	if opts.Script == "" {
		opts.Script = Ours
	}
	role, err := l.instanceRole(ctx)
	if err != nil {
		return BootResult{}, err
	}
	imds, err := emulator.StartIMDSE(emulator.IMDSOptions{
		InstanceID:       inst.ID,
		AvailabilityZone: inst.AvailabilityZone,
		Region:           l.Region,
		// The seed's own launch template would leave IMDSv1 on; ours
		// requires tokens, and the harness checks the template says so.
		AllowIMDSv1: opts.Script == Seed && !opts.IMDSv2Only,
		Role:        &role,
	})
	if err != nil {
		return BootResult{}, fmt.Errorf("starting instance metadata for %s: %w", inst.ID, err)
	}
	served, closeServed := imds.URL, func() {}
	if l.Outputs["networkInterfaceId"] != "" {
		// The instance's network interfaces show in its metadata once
		// attached, as on EC2.
		front, err := emulator.StartInterfaceMetadataE(imds.URL, l.admin, inst.ID)
		if err != nil {
			return BootResult{}, errors.Join(fmt.Errorf("starting the interface metadata: %w", err), imds.Close())
		}
		served, closeServed = front.URL, front.Close
	}
	var front *emulator.LifecycleFront
	if opts.LifecycleState != "" {
		front, err = emulator.StartLifecycleFrontE(served, opts.LifecycleState)
		if err != nil {
			closeServed()
			return BootResult{}, errors.Join(fmt.Errorf("starting the lifecycle state's front: %w", err), imds.Close())
		}
		closeInner := closeServed
		served, closeServed = front.URL, func() { front.Close(); closeInner() }
	}
	metadata, err := emulator.NewFaultProxyE(served)
	if err != nil {
		closeServed()
		return BootResult{}, errors.Join(fmt.Errorf("starting the metadata fault proxy: %w", err), imds.Close())
	}
	closeMetadata := func() error { metadata.Close(); closeServed(); return imds.Close() }
	// Until the instance runs, its metadata service is this function's.
	running := running{closeMetadata: closeMetadata, lifecycle: front}
	defer func() {
		if running.inst == nil {
			_ = closeMetadata()
		}
	}()
	if opts.MetadataFaults != nil {
		opts.MetadataFaults(metadata)
	}

	script, err := l.userData(ctx, inst, opts.Script, metadata.URL)
	if err != nil {
		return BootResult{}, err
	}
	dir, err := l.instanceDir(inst, opts.Start)
	if err != nil {
		return BootResult{}, err
	}
	root := emulator.InstanceRoot(dir + "/fs")
	env, err := emulator.InstanceCLIEnvE(l.Proxy, metadata.URL, dir)
	if err != nil {
		return BootResult{}, err
	}
	// InstanceCLIEnvE sets no retry settings: each script runs with the
	// CLI's defaults and what it sets itself, as on a fresh instance.
	// The documented test variables; they are harmless to the seed script.
	env = append(env, userdata.IMDSEndpointEnv+"="+metadata.URL)
	if env, err = l.volumeEnv(inst.ID, dir, env); err != nil {
		return BootResult{}, err
	}

	callsBefore := l.API.Total()
	mkfsBefore := l.MkfsCalls()
	start := time.Now()
	var live *emulator.LiveInstance
	if opts.Start {
		live, err = emulator.StartInstanceE(ctx, root, "exec "+userdata.InstalledBootScript+"\n", env)
	} else {
		live, err = emulator.BootInstanceE(ctx, root, script, env)
	}
	elapsed := time.Since(start)
	if err != nil {
		return BootResult{}, fmt.Errorf("booting %s: %w", inst.ID, err)
	}
	running.inst, running.env = live, env
	l.trackInstance(inst.ID, running)
	res := live.Boot

	r := BootResult{
		Instance:      inst,
		Script:        opts.Script,
		CommandResult: res,
		Log:           root.ReadFile(userdata.LogFile),
		Status:        strings.TrimSpace(root.ReadFile(userdata.StatusFile)),
		UserScriptRan: fileExists(root.Path(InstanceMarker)),
		Ready:         -1,
		Associated:    -1,
		APICalls:      l.API.Total() - callsBefore,
		RetrySettings: ScriptRetrySettings(script),
		Env:           env,
	}
	holder, err := l.Holder(ctx)
	if err != nil {
		return r, err
	}
	if r.Volume, err = l.probeVolume(ctx, live, r.Log, mkfsBefore, start); err != nil {
		return r, fmt.Errorf("after booting %s: %w", inst.ID, err)
	}
	r.HoldsAddress = holder == inst.ID
	r.Healed = res.ExitCode == 0 && r.HoldsAddress && r.Volume.Intact()
	r.Silent = res.ExitCode == 0 && !r.Healed
	for _, line := range strings.Split(res.Stderr, "\n") {
		if strings.Contains(line, "selfhealing: FAILED: ") {
			r.FailureLine = line
		}
	}
	if res.ExitCode == 0 && r.HoldsAddress {
		r.Associated = elapsed
		at, ok := logTime(r.Log, " is associated with "+inst.ID)
		if !ok {
			// With a network interface, which carries the address: when
			// the metadata showed it here.
			at, ok = logTime(r.Log, " is on "+inst.ID+" with private address ")
		}
		if ok {
			r.Associated = at.Sub(start)
		}
	}
	if r.Healed {
		r.Ready = elapsed
	}
	return r, nil
}

// instanceDir returns the directory inst boots in: a fresh one, or, to
// start it again, the one of its last boot.
func (l *Lab) instanceDir(inst Instance, again bool) (string, error) {
	if !again {
		return l.newInstanceDir(inst.ID)
	}
	root, err := l.instanceRoot(inst)
	if err != nil {
		return "", err
	}
	return filepath.Dir(string(root)), nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// logTime returns the timestamp of the first log line containing needle.
func logTime(log, needle string) (time.Time, bool) {
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, needle) {
			continue
		}
		stamp, _, _ := strings.Cut(line, " ")
		at, err := time.Parse("2006-01-02T15:04:05.000Z", stamp)
		return at, err == nil
	}
	return time.Time{}, false
}

// userData returns the script inst boots with. For Ours it is the user data
// moto holds for the instance, byte for byte, after checking that it is
// what the launch template version the group launched says, and that the
// version requires IMDSv2, as the lab's metadata service will.
func (l *Lab) userData(ctx context.Context, inst Instance, script Script, metadataURL string) ([]byte, error) {
	if script == Seed {
		data, err := SeedUserData(l.Outputs["allocationId"], l.Region, metadataURL)
		return append(data, l.seedTail()...), err
	}

	// What EC2 gives the instance from its template version, which moto
	// applies only in part (emulator.InstanceLaunchSettings).
	launch, err := emulator.InstanceLaunchSettings(ctx, l.admin, inst.ID, inst.launchTemplateID(l), inst.LaunchTemplateVersion)
	if err != nil {
		return nil, err
	}
	if !launch.IMDSv2Required {
		return nil, fmt.Errorf("launch template version %s does not require IMDSv2 tokens; the harness serves metadata as if it did", inst.LaunchTemplateVersion)
	}
	encoded := launch.UserData
	// cloud-init decompresses gzip user data before it runs it.
	decoded, err := userdata.Decode(encoded)
	if err != nil {
		return nil, fmt.Errorf("the user data of %s: %w", inst.ID, err)
	}
	return []byte(decoded), nil
}
