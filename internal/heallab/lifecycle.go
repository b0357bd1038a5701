package heallab

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"github.com/selfhealing-dev/selfhealing/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// The launch gate and the app health check in the lab: moto implements
// neither CompleteLifecycleAction nor RecordLifecycleActionHeartbeat, and
// only records SetInstanceHealth, so a emulator.AutoScalingModel sits
// between the API proxy and moto and answers them as AWS does, terminating
// an abandoned or unhealthy instance as AWS would (its address included),
// so that the group replaces it.

// autoscalingAPIVersion is the Version of every Auto Scaling query request;
// EC2's is 2016-11-15. The inspector tells the services apart by it, since
// some actions (DescribeTags) exist in both.
const autoscalingAPIVersion = "2011-01-01"

// lookupTimeout bounds the inspector's own calls to moto.
const lookupTimeout = 15 * time.Second

// startLifecycleModel starts the model in front of target (moto) and
// returns its URL, for the API proxy to forward to.
func (l *Lab) startLifecycleModel(target string) (string, error) {
	model, err := emulator.StartAutoScalingModelE(target, l.admin, emulator.AutoScalingModelOptions{Terminate: l.terminateAsAWS})
	if err != nil {
		return "", fmt.Errorf("starting the Auto Scaling model: %w", err)
	}
	l.addCloser(func() error { model.Close(); return nil })
	l.Lifecycle = model
	return model.URL, nil
}

// terminateAsAWS is how the Auto Scaling model ends an abandoned or
// unhealthy instance: as Kill does, and as AWS does.
func (l *Lab) terminateAsAWS(ctx context.Context, id string) error {
	return l.terminate(ctx, id, KillOptions{})
}

// autoscalingRequestResources returns the resource ARNs IAM authorizes for
// an Auto Scaling request (Service Authorization Reference): the
// autoScalingGroup for the lifecycle calls and SetInstanceHealth, "*" for
// Describe calls. groupARN returns a group's ARN by name; groupOf the group
// an instance belongs to. ok is false for actions it has no mapping for,
// and for SetInstanceHealth of an instance in no group, which Auto Scaling
// refuses before IAM matters.
func autoscalingRequestResources(action string, form url.Values, groupARN func(name string) string, groupOf func(instanceID string) (string, bool)) (resources []string, ok bool) {
	switch action {
	case "CompleteLifecycleAction", "RecordLifecycleActionHeartbeat":
		return []string{groupARN(form.Get("AutoScalingGroupName"))}, true
	case "SetInstanceHealth":
		// IAM authorizes the instance's group. An instance in no group the
		// harness finds gets the ARN of a group with no name, which no
		// policy allows: AWS refuses such a call too, and moto would let
		// it through.
		group, found := groupOf(form.Get("InstanceId"))
		if !found {
			group = ""
		}
		return []string{groupARN(group)}, true
	}
	if strings.HasPrefix(action, "Describe") {
		return []string{"*"}, true
	}
	return nil, false
}

// authorizeAutoScaling is authorize for Auto Scaling requests: the policy
// as the program wrote it must allow the action on the group's ARN. The
// model answers the lifecycle calls itself, so moto's own enforcement never
// sees them; this check is all there is, as IAM's is on AWS.
func (l *Lab) authorizeAutoScaling(action string, form url.Values) *emulator.APIError {
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	resources, ok := autoscalingRequestResources(action, form,
		func(name string) string { return l.groupARN(ctx, name) },
		func(id string) (string, bool) { return l.groupOf(ctx, id) })
	if !ok {
		return nil
	}
	for _, resource := range resources {
		if !Allows(l.Policy, "autoscaling:"+action, resource) {
			return &emulator.APIError{Status: 403, Code: "AccessDenied",
				Message: fmt.Sprintf("User is not authorized to perform: autoscaling:%s on resource: %s (harness: the instance policy does not allow it)", action, resource)}
		}
	}
	return nil
}

// groupARN returns the ARN of the group called name, as moto reports it;
// for a group that does not exist, the ARN it would have, with a zero id.
func (l *Lab) groupARN(ctx context.Context, name string) string {
	out, err := l.autoscaling().DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err == nil && len(out.AutoScalingGroups) == 1 {
		return aws.ToString(out.AutoScalingGroups[0].AutoScalingGroupARN)
	}
	return fmt.Sprintf("arn:%s:autoscaling:%s:%s:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/%s",
		l.monitor.Partition(), l.Region, l.monitor.AccountID(), name)
}

// groupOf returns the group instance id belongs to, if any.
func (l *Lab) groupOf(ctx context.Context, id string) (string, bool) {
	out, err := l.autoscaling().DescribeAutoScalingInstances(ctx, &autoscaling.DescribeAutoScalingInstancesInput{InstanceIds: []string{id}})
	if err != nil || len(out.AutoScalingInstances) != 1 {
		return "", false
	}
	return aws.ToString(out.AutoScalingInstances[0].AutoScalingGroupName), true
}

// NoGate is Gate's answer for a stack without the launch gate.
const NoGate = "no-hook"

// Gate says how an instance's boot answered the launch gate: the results
// of its accepted CompleteLifecycleAction calls, such as "CONTINUE", or
// "none"; NoGate if the stack has no launch gate.
func (l *Lab) Gate(instanceID string) string {
	switch gate, err := l.hasLaunchGate(); {
	case err != nil:
		return "unknown (" + err.Error() + ")"
	case !gate:
		return NoGate
	}
	var results []string
	for _, c := range l.Lifecycle.Completions(instanceID) {
		results = append(results, c.Result)
	}
	if len(results) == 0 {
		return "none"
	}
	return strings.Join(results, ",")
}

// AppMarker is the file the stand-in application of
// [AppHealthOverrides] keeps while it runs, on the instance's /run; the
// health check looks for it.
const AppMarker = "/run/stand-in-app.up"

// AppHealthCheckInterval is the interval of [AppHealthOverrides]' check.
const (
	AppHealthCheckInterval  = 5
	AppHealthCheckThreshold = 2
)

// AppHealthOverrides are [StandInOverrides] plus an application: the user
// script "starts" it by creating AppMarker, and an appHealthCheck command
// checks for it.
func AppHealthOverrides() map[string]string {
	o := StandInOverrides()
	o["selfhealing:userScript"] = StandInUserScript + "touch " + AppMarker + "\n"
	o["selfhealing:appHealthCheck"] = fmt.Sprintf(`{"command": "test -e %s", "intervalSeconds": %d, "timeoutSeconds": 2, "failureThreshold": %d}`,
		AppMarker, AppHealthCheckInterval, AppHealthCheckThreshold)
	return o
}

// instanceRoot returns the file system the lab booted inst with last.
func (l *Lab) instanceRoot(inst Instance) (emulator.InstanceRoot, error) {
	dirs, err := filepath.Glob(filepath.Join(l.workDir, "*-"+inst.ID))
	if err != nil || len(dirs) == 0 {
		return "", fmt.Errorf("instance %s was never booted in this lab", inst.ID)
	}
	sort.Strings(dirs)
	return emulator.InstanceRoot(filepath.Join(dirs[len(dirs)-1], "fs")), nil
}

// CrashApp stops the stand-in application of [AppHealthOverrides] on inst.
func (l *Lab) CrashApp(inst Instance) error {
	root, err := l.instanceRoot(inst)
	if err != nil {
		return err
	}
	if err := os.Remove(root.Path(AppMarker)); err != nil {
		return fmt.Errorf("crashing the application on %s: %w", inst.ID, err)
	}
	return nil
}

// HealthTick runs what selfhealing-health.service runs, once, on inst:
// the installed boot script with --health-check, in the environment inst
// booted with (its metadata service, which serves its role's credentials,
// included). systemd would start it every interval; the lab has none.
// It returns the run and the lines it added to the instance's log.
func (l *Lab) HealthTick(ctx context.Context, inst Instance) (emulator.CommandResult, []string, error) {
	root, err := l.instanceRoot(inst)
	if err != nil {
		return emulator.CommandResult{}, nil, err
	}
	env, err := l.instanceEnv(inst.ID)
	if err != nil {
		return emulator.CommandResult{}, nil, err
	}
	before := len(root.ReadFile(userdata.LogFile))
	results, err := emulator.RunOnInstance(ctx, root, "exec "+userdata.InstalledBootScript+" --health-check\n", env, 1)
	if err != nil {
		return emulator.CommandResult{}, nil, fmt.Errorf("health check on %s: %w", inst.ID, err)
	}
	lines := strings.Split(strings.TrimSpace(root.ReadFile(userdata.LogFile)[before:]), "\n")
	if results[0].ExitCode != 0 {
		return results[0], lines, errors.New("the health check exited " + fmt.Sprint(results[0].ExitCode) + ":\n" + results[0].Stderr)
	}
	return results[0], lines, nil
}

// AwaitReplacement waits, within a bound, for the group to hold one
// instance other than gone, as after the group replaced it.
func (l *Lab) AwaitReplacement(ctx context.Context, gone string) (Instance, error) {
	return l.awaitReplacement(ctx, gone)
}
