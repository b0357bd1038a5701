package emulator

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	asgtypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Lifecycle hook results and health states, as the Auto Scaling API spells
// them.
const (
	LifecycleContinue = "CONTINUE"
	LifecycleAbandon  = "ABANDON"
	HealthUnhealthy   = "Unhealthy"
	HealthHealthy     = "Healthy"
)

// The lifecycle transitions the model serves: a launch action waits for
// every instance it meets first; a termination action waits only for an
// instance the harness is terminating through the group's termination
// hook ([AutoScalingModel.BeginTermination]).
const (
	launchTransition    = "autoscaling:EC2_INSTANCE_LAUNCHING"
	terminateTransition = "autoscaling:EC2_INSTANCE_TERMINATING"
)

// autoscalingNamespace is the XML namespace of Auto Scaling's 2011-01-01
// API answers.
const autoscalingNamespace = "http://autoscaling.amazonaws.com/doc/2011-01-01/"

// NoActiveLifecycleAction is AWS's answer to CompleteLifecycleAction or
// RecordLifecycleActionHeartbeat for an instance no lifecycle action waits
// for: a reboot of an instance in service, or an action already completed.
// The message is AWS's, as CLI users report it.
var NoActiveLifecycleAction = APIError{http.StatusBadRequest, "ValidationError", "No active Lifecycle Action found with instance ID %s"}

// LifecycleCall is one call the [AutoScalingModel] answered.
type LifecycleCall struct {
	// Time is when the model received the call.
	Time time.Time
	// Action is CompleteLifecycleAction, RecordLifecycleActionHeartbeat or
	// SetInstanceHealth.
	Action string
	// Group, Hook and Instance are what the call named. For
	// SetInstanceHealth, which names no group, Group is the instance's
	// group, if it has one, and Hook is "".
	Group, Hook, Instance string
	// Result is the LifecycleActionResult of CompleteLifecycleAction
	// (CONTINUE or ABANDON), or the HealthStatus of SetInstanceHealth;
	// "" for a heartbeat.
	Result string
	// RespectGracePeriod is SetInstanceHealth's ShouldRespectGracePeriod,
	// true when the call leaves it out, as AWS defaults it.
	RespectGracePeriod bool
	// Refused is the error code and message the model answered with, or ""
	// if it accepted the call.
	Refused string
	// Terminated reports that the call made the model terminate the
	// instance: an accepted ABANDON, or Unhealthy.
	Terminated bool
	// LaunchFirst reports an accepted Unhealthy that the model left the
	// instance running for: its group launches first
	// (AutoScalingModelOptions.LaunchFirst).
	LaunchFirst bool
}

// String describes c in one line, for test failures.
func (c LifecycleCall) String() string {
	s := fmt.Sprintf("%s %s group=%s hook=%s instance=%s result=%s", c.Time.Format("15:04:05.000"), c.Action, c.Group, c.Hook, c.Instance, c.Result)
	if c.Refused != "" {
		s += " refused: " + c.Refused
	}
	if c.Terminated {
		s += " (terminated)"
	}
	if c.LaunchFirst {
		s += " (replaced launch first)"
	}
	return s
}

// AutoScalingModelOptions configure an [AutoScalingModel].
type AutoScalingModelOptions struct {
	// Terminate ends an instance as AWS does after an ABANDON or an
	// Unhealthy report, so that the group replaces it. Nil terminates it
	// with [TerminateInstance], its Elastic IP association included; a
	// harness that models more of a termination (the dead instance's
	// volumes held, its processes ended) passes its own.
	Terminate func(ctx context.Context, instanceID string) error
	// LaunchFirst reports whether a group replaces an instance launch
	// first: its instance maintenance policy is 100/200, which moto does
	// not keep. Then an Unhealthy report leaves the instance running, as
	// AWS does until the replacement is in service; the harness plays the
	// replacement (ReplaceLaunchFirst), as it plays every launch. Nil:
	// every group terminates first.
	LaunchFirst func(group string) bool
}

// AutoScalingModel serves the Auto Scaling calls an instance makes about
// itself, which moto 5.2.1 does not implement (CompleteLifecycleAction,
// RecordLifecycleActionHeartbeat) or only records (SetInstanceHealth). It
// is an HTTP server to put between a [FaultProxy] and moto (or another model
// in front of moto), so that an inspector on the proxy, such as an IAM
// check, sees every request first. It forwards everything else unchanged.
//
// It answers with AWS's query-protocol XML, and as strictly as AWS:
//
//   - CompleteLifecycleAction and RecordLifecycleActionHeartbeat are refused
//     (ValidationError) for a group moto does not have, a hook the group
//     does not have (DescribeLifecycleHooks) or that is not a launch hook, an
//     instance that is not in the group, a result other than CONTINUE or
//     ABANDON, or a LifecycleActionToken instead of an InstanceId (which the
//     model does not model). For an instance no action waits for they answer
//     [NoActiveLifecycleAction].
//   - A launch action waits for every instance of a group the model meets
//     the first time, as for an instance the group launched after the hook
//     existed; completing it ends it; [AutoScalingModel.BeginLaunch] starts
//     another, as a warm-pool instance leaving the pool does. An accepted
//     ABANDON terminates the instance, as AWS does.
//   - SetInstanceHealth is refused for an instance in no group, or a status
//     other than Healthy or Unhealthy; Unhealthy terminates the instance,
//     and the group replaces it, as AWS does at once for a health-check
//     replacement, unless the group launches first (the option
//     LaunchFirst), when the instance runs on until the harness has
//     launched its replacement. The grace period is not modelled.
//
// The hook's heartbeat timeout is not modelled either: an action never
// expires by itself. Every call is recorded ([AutoScalingModel.Calls]). The
// model asks moto directly, with the configuration it was started with. All
// methods are safe for concurrent use.
type AutoScalingModel struct {
	// URL is the model's base URL, http://127.0.0.1:PORT.
	URL string

	asg         *autoscaling.Client
	ec2         *ec2.Client
	terminate   func(ctx context.Context, instanceID string) error
	launchFirst func(group string) bool
	proxy       *httputil.ReverseProxy
	srv         *httptest.Server

	mu      sync.Mutex
	pending map[string]bool // instance id: does a launch action wait for it?
	// warming holds the instances launched into the group's warm pool,
	// which the group does not list among its instances.
	warming map[string]bool
	// terminating holds, by instance id, the termination action that waits
	// for it: its hook, and the channel that receives its result.
	terminating map[string]terminationAction
	calls       []LifecycleCall
}

// terminationAction is a termination lifecycle action in progress.
type terminationAction struct {
	hook   string
	result chan string
}

// StartAutoScalingModel starts an [AutoScalingModel] like
// [StartAutoScalingModelE] and registers a t.Cleanup that closes it.
func StartAutoScalingModel(t testing.TB, targetURL string, cfg aws.Config, opts AutoScalingModelOptions) *AutoScalingModel {
	t.Helper()
	m, err := StartAutoScalingModelE(targetURL, cfg, opts)
	if err != nil {
		t.Fatalf("StartAutoScalingModel: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

// StartAutoScalingModelE starts an [AutoScalingModel] on a free loopback
// port in front of targetURL (moto's URL, or another model's in front of
// moto), which it asks about groups and hooks with cfg (usually
// [Moto.AWSConfig], or an administrator's configuration when moto enforces
// IAM). The caller must Close it.
func StartAutoScalingModelE(targetURL string, cfg aws.Config, opts AutoScalingModelOptions) (*AutoScalingModel, error) {
	u, l, err := listenInFront("Auto Scaling model: target", targetURL)
	if err != nil {
		return nil, err
	}
	m := &AutoScalingModel{
		asg:         autoscaling.NewFromConfig(cfg),
		ec2:         ec2.NewFromConfig(cfg),
		terminate:   opts.Terminate,
		launchFirst: opts.LaunchFirst,
		pending:     map[string]bool{},
		warming:     map[string]bool{},
		terminating: map[string]terminationAction{},
	}
	if m.terminate == nil {
		m.terminate = func(ctx context.Context, id string) error { return TerminateInstance(ctx, cfg, id) }
	}
	m.proxy = forwardSigned(u)
	m.srv = serveOn(l, m)
	m.URL = m.srv.URL
	return m, nil
}

// Close stops the model and waits for requests in flight.
func (m *AutoScalingModel) Close() {
	m.srv.Close()
}

// Calls returns every call the model answered, in the order it received
// them.
func (m *AutoScalingModel) Calls() []LifecycleCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

// Completions returns the accepted CompleteLifecycleAction calls for
// instanceID, in order.
func (m *AutoScalingModel) Completions(instanceID string) []LifecycleCall {
	var out []LifecycleCall
	for _, c := range m.Calls() {
		if c.Action == "CompleteLifecycleAction" && c.Instance == instanceID && c.Refused == "" {
			out = append(out, c)
		}
	}
	return out
}

// HealthReports returns the accepted SetInstanceHealth calls for
// instanceID, in order.
func (m *AutoScalingModel) HealthReports(instanceID string) []LifecycleCall {
	var out []LifecycleCall
	for _, c := range m.Calls() {
		if c.Action == "SetInstanceHealth" && c.Instance == instanceID && c.Refused == "" {
			out = append(out, c)
		}
	}
	return out
}

// AwaitContinue waits, within timeout, until a boot of instanceID
// completed its launch action with CONTINUE: when AWS puts it InService.
func (m *AutoScalingModel) AwaitContinue(ctx context.Context, instanceID string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		for _, c := range m.Completions(instanceID) {
			if c.Result == LifecycleContinue {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s completed no launch action with CONTINUE within %v", instanceID, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// BeginLaunch makes a launch action wait for instanceID again, as when a
// warm-pool instance is started to leave the pool (Pending:Wait) after it
// completed the action of entering it (Warmed:Pending:Wait).
func (m *AutoScalingModel) BeginLaunch(instanceID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending[instanceID] = true
	delete(m.warming, instanceID)
}

// EnterWarmPool makes a launch action wait for instanceID, an instance
// launched into the group's warm pool (Warmed:Pending:Wait), which moto
// neither launches nor lists: the group's warm pool holds it, not the
// group. BeginLaunch takes it out, into the group.
func (m *AutoScalingModel) EnterWarmPool(instanceID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending[instanceID] = true
	m.warming[instanceID] = true
}

// BeginTermination makes a termination action of hook wait for
// instanceID, as when the group starts to terminate an instance and its
// termination hook holds it in Terminating:Wait. The channel receives the
// result of the CompleteLifecycleAction that ends it (CONTINUE or
// ABANDON); the harness, which plays the hook's timeout, then terminates
// the instance. Heartbeats are taken and recorded, but the timeout is the
// harness's.
func (m *AutoScalingModel) BeginTermination(instanceID, hook string) <-chan string {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := terminationAction{hook: hook, result: make(chan string, 1)}
	m.terminating[instanceID] = a
	return a.result
}

// EndTermination ends the termination action waiting for instanceID, if
// any, as its timeout does: later calls for it find no action.
func (m *AutoScalingModel) EndTermination(instanceID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.terminating, instanceID)
}

// ServeHTTP implements http.Handler.
func (m *AutoScalingModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	action, form, ok := readAction(w, r, "Auto Scaling model")
	if !ok {
		return
	}
	switch action {
	case "CompleteLifecycleAction", "RecordLifecycleActionHeartbeat":
		m.lifecycleAction(w, r, action, form)
	case "SetInstanceHealth":
		m.setInstanceHealth(w, r, form)
	default:
		m.proxy.ServeHTTP(w, r)
	}
}

// validationError is an Auto Scaling ValidationError with a formatted
// message.
func validationError(format string, args ...any) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "ValidationError", Message: fmt.Sprintf(format, args...)}
}

// lifecycleAction answers CompleteLifecycleAction and
// RecordLifecycleActionHeartbeat.
func (m *AutoScalingModel) lifecycleAction(w http.ResponseWriter, r *http.Request, action string, form url.Values) {
	call := LifecycleCall{
		Time: time.Now(), Action: action,
		Group: form.Get("AutoScalingGroupName"), Hook: form.Get("LifecycleHookName"),
		Instance: form.Get("InstanceId"), Result: form.Get("LifecycleActionResult"),
	}
	ctx, cancel := context.WithTimeout(r.Context(), ebsCallTimeout)
	defer cancel()
	transition, apiErr := m.checkLifecycleAction(ctx, action, form)
	// A termination action's result, ABANDON too, goes to the harness
	// that began it, which terminates the instance.
	if apiErr == nil && action == "CompleteLifecycleAction" && call.Result == LifecycleAbandon && transition == launchTransition {
		// AWS terminates an abandoned launching instance; the group
		// then launches another.
		if err := m.terminate(ctx, call.Instance); err != nil {
			apiErr = &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure",
				Message: fmt.Sprintf("harness: terminating abandoned %s: %v", call.Instance, err)}
		} else {
			call.Terminated = true
		}
	}
	m.answer(w, r, &call, apiErr)
}

// checkLifecycleAction returns the transition of the call's hook, and
// AWS's error for the call, or nil after taking it: a completion ends the
// instance's waiting action.
func (m *AutoScalingModel) checkLifecycleAction(ctx context.Context, action string, form url.Values) (transition string, apiErr *APIError) {
	group, hook, instance := form.Get("AutoScalingGroupName"), form.Get("LifecycleHookName"), form.Get("InstanceId")
	switch {
	case group == "" || hook == "":
		return transition, validationError("AutoScalingGroupName and LifecycleHookName are required")
	case instance == "" && form.Get("LifecycleActionToken") != "":
		return transition, validationError("harness: the model knows lifecycle actions by InstanceId only, not by LifecycleActionToken")
	case instance == "":
		return transition, validationError("Either InstanceId or LifecycleActionToken is required")
	}
	if action == "CompleteLifecycleAction" {
		if result := form.Get("LifecycleActionResult"); result != LifecycleContinue && result != LifecycleAbandon {
			return transition, validationError("LifecycleActionResult %q: must be CONTINUE or ABANDON", result)
		}
	}
	groups, err := m.asg.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if err != nil {
		return transition, &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "harness: describing group " + group + ": " + err.Error()}
	}
	if len(groups.AutoScalingGroups) != 1 {
		return transition, validationError("AutoScalingGroup name not found - Group %s not found", group)
	}
	hooks, err := m.asg.DescribeLifecycleHooks(ctx, &autoscaling.DescribeLifecycleHooksInput{
		AutoScalingGroupName: aws.String(group), LifecycleHookNames: []string{hook},
	})
	if err != nil {
		return transition, &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "harness: describing hooks of " + group + ": " + err.Error()}
	}
	for _, h := range hooks.LifecycleHooks {
		if aws.ToString(h.LifecycleHookName) != hook {
			continue
		}
		transition = aws.ToString(h.LifecycleTransition)
		if transition != launchTransition && transition != terminateTransition {
			return transition, validationError("harness: lifecycle hook %s of group %s is for %s; the model serves launch and termination hooks only", hook, group, transition)
		}
	}
	if transition == "" {
		return transition, validationError("No Lifecycle Hook named %s found for group %s", hook, group)
	}
	inGroup := slices.ContainsFunc(groups.AutoScalingGroups[0].Instances, func(i asgtypes.Instance) bool {
		return aws.ToString(i.InstanceId) == instance
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	if transition == terminateTransition {
		a, waiting := m.terminating[instance]
		if !inGroup || !waiting || a.hook != hook {
			return transition, apiErrorf(NoActiveLifecycleAction, instance)
		}
		if action == "CompleteLifecycleAction" {
			delete(m.terminating, instance)
			a.result <- form.Get("LifecycleActionResult")
		}
		return transition, nil
	}
	waiting, seen := m.pending[instance]
	if !seen && inGroup {
		// Met for the first time: launched by the group, with the hook in
		// place, so its launch action waits.
		waiting = true
		m.pending[instance] = true
	}
	if !(inGroup || m.warming[instance]) || !waiting {
		return transition, apiErrorf(NoActiveLifecycleAction, instance)
	}
	if action == "CompleteLifecycleAction" {
		m.pending[instance] = false
	}
	return transition, nil
}

// setInstanceHealth answers SetInstanceHealth.
func (m *AutoScalingModel) setInstanceHealth(w http.ResponseWriter, r *http.Request, form url.Values) {
	call := LifecycleCall{
		Time: time.Now(), Action: "SetInstanceHealth",
		Instance: form.Get("InstanceId"), Result: form.Get("HealthStatus"),
		RespectGracePeriod: !strings.EqualFold(form.Get("ShouldRespectGracePeriod"), "false"),
	}
	ctx, cancel := context.WithTimeout(r.Context(), ebsCallTimeout)
	defer cancel()
	var apiErr *APIError
	switch {
	case call.Instance == "":
		apiErr = validationError("InstanceId is required")
	case call.Result != HealthHealthy && call.Result != HealthUnhealthy:
		apiErr = validationError("HealthStatus %q: must be Healthy or Unhealthy", call.Result)
	default:
		out, err := m.asg.DescribeAutoScalingInstances(ctx, &autoscaling.DescribeAutoScalingInstancesInput{InstanceIds: []string{call.Instance}})
		switch {
		case err != nil:
			apiErr = &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "harness: describing " + call.Instance + ": " + err.Error()}
		case len(out.AutoScalingInstances) != 1:
			apiErr = validationError("Instance Id not found - No managed instance found for instance ID %s", call.Instance)
		default:
			call.Group = aws.ToString(out.AutoScalingInstances[0].AutoScalingGroupName)
		}
	}
	if apiErr == nil && call.Result == HealthUnhealthy && m.launchFirst != nil && m.launchFirst(call.Group) {
		call.LaunchFirst = true
	} else if apiErr == nil && call.Result == HealthUnhealthy {
		if err := m.terminate(ctx, call.Instance); err != nil {
			apiErr = &APIError{Status: http.StatusInternalServerError, Code: "InternalFailure",
				Message: fmt.Sprintf("harness: terminating unhealthy %s: %v", call.Instance, err)}
		} else {
			call.Terminated = true
		}
	}
	m.answer(w, r, &call, apiErr)
}

// answer records call and answers it: with apiErr, or with the action's
// empty success response.
func (m *AutoScalingModel) answer(w http.ResponseWriter, r *http.Request, call *LifecycleCall, apiErr *APIError) {
	if apiErr != nil {
		call.Refused = apiErr.Code + ": " + apiErr.Message
	}
	m.mu.Lock()
	m.calls = append(m.calls, *call)
	m.mu.Unlock()
	if apiErr != nil {
		writeAPIError(w, r, *apiErr)
		return
	}
	writeAutoScalingResponse(w, call.Action)
}

// writeAutoScalingResponse answers 200 OK to action with its empty
// result, in the query protocol's shape: CompleteLifecycleAction and
// RecordLifecycleActionHeartbeat wrap an empty <ActionResult/>, and
// SetInstanceHealth has none (botocore's autoscaling model).
func writeAutoScalingResponse(w http.ResponseWriter, action string) {
	result := "<" + action + "Result/>"
	if action == "SetInstanceHealth" {
		result = ""
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	fmt.Fprintf(w, "%s<%sResponse xmlns=%q>%s<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>",
		xml.Header, action, autoscalingNamespace, result, requestID(), action)
}
