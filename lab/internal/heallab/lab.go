package heallab

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/internal/programrun"
	"github.com/selfhealing-dev/selfhealing/internal/stackconfig"
	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/lab/internal/mockmonitor/moto"
)

// Options configure a Lab.
type Options struct {
	// Dir holds Pulumi.yaml; Stack names the Pulumi.<stack>.yaml to deploy.
	Dir, Stack string
	// Overrides replace individual config values, by full key
	// ("selfhealing:userScript").
	Overrides map[string]string
	// WorkDir holds the simulated instances' file systems and the CLI's
	// home directories. It must exist; the caller removes it.
	WorkDir string
	// Shape names the stack's shape in reports: Stack if empty
	// (SeedStackShape for SeedStackOverrides).
	Shape string
	// StackName deploys Stack's configuration as a stack of this name:
	// Stack if empty. Lab.StartAnother needs a name of its own, for the
	// group's and the parameters' names follow the stack's.
	StackName string
}

// Lab is the program deployed into a private moto, with what it takes to
// boot the instances its Auto Scaling group launches.
type Lab struct {
	// Stack is the deployed stack's configuration.
	Stack *stackconfig.Stack
	// Region is the stack's region.
	Region string
	// Shape names the stack's shape in reports (Options.Shape).
	Shape string
	// Outputs are the stack's exports, as `pulumi stack output` shows them.
	Outputs map[string]string
	// API is the fault proxy in front of moto that instances call. Tests
	// inject faults here and read its counts.
	API *emulator.FaultProxy
	// Policy is the instance role's inline policy as the program wrote it.
	Policy policy.Document
	// Lifecycle answers, between API and moto, the launch gate's and the
	// health check's calls, and records them.
	Lifecycle *emulator.AutoScalingModel
	// Proxy is the HTTPS proxy through which the AWS CLI on the instances
	// reaches API under AWS's real host names, as on EC2, with no endpoint
	// override.
	Proxy *emulator.HTTPSProxy

	moto    *emulator.Moto
	monitor *moto.Monitor
	admin   aws.Config // the harness's own identity, past IAM enforcement
	workDir string
	ebs     *emulator.EBSModel // between the API proxy and moto
	volume  *labVolume         // nil if the stack has no data volume
	// snapshots hold the content of the EBS snapshots taken in the lab's
	// moto, for volumes created from them; shared by every stack deployed
	// into it.
	snapshots *emulator.Snapshots

	mu     sync.Mutex
	booted int
	live   map[string]running // booted and not killed, by id
	// terminatedAt is when the lab terminated each instance it did.
	terminatedAt map[string]time.Time
	closers      []func() error

	// downtimeKill shapes the Auto Scaling model's terminations during a
	// downtime run (StartDowntime); zero otherwise. Guarded by mu.
	downtimeKill KillOptions
	// seedApp appends the application's start to the seed's user data
	// (seedAppTail) during a downtime run of the seed. Guarded by mu.
	seedApp bool
	// launchFirst makes the Auto Scaling model leave an unhealthy instance
	// running for the downtime run to replace launch first; false outside
	// a downtime run, whose tests expect the model to terminate it.
	// Guarded by mu.
	launchFirst bool
}

// Start starts moto, deploys the stack into it with the real program, and
// turns on IAM enforcement. It returns an error, never fails a test; call
// Close when done, even after an error.
func Start(ctx context.Context, opts Options) (*Lab, error) {
	stack, region, err := loadStack(opts)
	if err != nil {
		return nil, err
	}

	server, err := emulator.StartMotoE(emulator.MotoOptions{Region: region, LoadManagedPolicies: true})
	if err != nil {
		return nil, fmt.Errorf("starting moto: %w", err)
	}
	shape := opts.Shape
	if shape == "" {
		shape = opts.Stack
	}
	lab := &Lab{Stack: stack, Region: region, Shape: shape, moto: server, workDir: opts.WorkDir, admin: server.AWSConfig()}
	lab.closers = append(lab.closers, server.Close)
	if lab.snapshots, err = emulator.NewSnapshots(filepath.Join(opts.WorkDir, "snapshots")); err != nil {
		return lab, err
	}

	if err := lab.deploy(ctx); err != nil {
		return lab, err
	}
	if err := lab.enforceIAM(ctx); err != nil {
		return lab, err
	}
	return lab, lab.startAPI(ctx)
}

// loadStack reads the stack opts name, with its overrides, and returns it
// and its region.
func loadStack(opts Options) (*stackconfig.Stack, string, error) {
	stack, err := stackconfig.Load(opts.Dir, opts.Stack)
	if err != nil {
		return nil, "", err
	}
	if opts.StackName != "" {
		stack.Name = opts.StackName
	}
	for key, value := range opts.Overrides {
		if value == Unset {
			delete(stack.Config, key)
			continue
		}
		stack.Config[key] = value
	}
	region := stack.Config["aws:region"]
	if region == "" {
		return nil, "", fmt.Errorf("%s: aws:region is not set", stack.StackFile)
	}
	return stack, region, nil
}

// startAPI starts what the deployed stack's instances reach AWS through,
// and the data volume's stand-in disk.
func (l *Lab) startAPI(ctx context.Context) error {
	// Instances' requests go through the fault proxy (and its IAM
	// inspector) first, then the Auto Scaling model (the lifecycle calls
	// moto lacks), then the EBS model, then moto.
	chain, err := emulator.StartAPIChainE(l.moto.URL, l.admin, emulator.AutoScalingModelOptions{Terminate: l.terminateAsAWS, LaunchFirst: l.launchesFirst})
	if err != nil {
		return err
	}
	l.closers = append(l.closers, func() error { chain.Close(); return nil })
	l.ebs, l.Lifecycle = chain.EBS, chain.AutoScaling
	if err := l.startVolume(ctx); err != nil {
		return err
	}
	api := chain.API
	api.Inspect(l.iamInspector().Inspect)
	l.API = api
	proxy, err := emulator.StartHTTPSProxyE(api.URL)
	if err != nil {
		return err
	}
	l.closers = append(l.closers, proxy.Close)
	l.Proxy = proxy
	return nil
}

// Close stops everything the lab started, last started first.
func (l *Lab) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	for i := len(l.closers) - 1; i >= 0; i-- {
		errs = append(errs, l.closers[i]())
	}
	l.closers = nil
	return errors.Join(errs...)
}

// deploy runs the program into moto and records its outputs and policy.
func (l *Lab) deploy(ctx context.Context) error {
	monitor, err := moto.New(ctx, l.admin, l.Region)
	if err != nil {
		return fmt.Errorf("connecting the monitor to moto: %w", err)
	}
	exports, err := programrun.Run(l.Stack, monitor, programrun.Deploy)
	if err != nil {
		return fmt.Errorf("deploying stack %s into moto: %w", l.Stack.Name, err)
	}
	l.monitor = monitor
	l.Outputs = map[string]string{}
	for name, value := range exports {
		s, ok := value.(string)
		if !ok || s == "" {
			return fmt.Errorf("stack output %s = %#v after a deployment, want a string", name, value)
		}
		l.Outputs[name] = s
	}
	policies := monitor.RolePolicies()
	if len(policies) != 1 {
		return fmt.Errorf("the program wrote %d inline role policies, the harness expects 1", len(policies))
	}
	if err := jsonStrict(policies[0].Document, &l.Policy); err != nil {
		return fmt.Errorf("the instance policy is not a policy document: %w", err)
	}
	l.admin.Region = l.Region
	return nil
}

// enforceIAM creates the harness's own administrator, switches to it, and
// turns on moto's IAM enforcement: from then on, every request must be
// allowed by the caller's policies.
func (l *Lab) enforceIAM(ctx context.Context) error {
	client := iam.NewFromConfig(l.admin)
	const user = "selfhealing-harness"
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		return fmt.Errorf("creating the harness user: %w", err)
	}
	if _, err := client.PutUserPolicy(ctx, &iam.PutUserPolicyInput{
		UserName:       aws.String(user),
		PolicyName:     aws.String("everything"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
	}); err != nil {
		return fmt.Errorf("granting the harness user: %w", err)
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		return fmt.Errorf("creating the harness user's key: %w", err)
	}
	l.admin = emulator.AWSConfig(l.moto.URL, l.Region, emulator.Credentials{
		AccessKeyID: aws.ToString(key.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey),
	})
	if err := l.moto.EnforceIAMNow(ctx); err != nil {
		return err
	}
	// Prove enforcement is on: the default test credentials must now fail.
	if _, err := sts.NewFromConfig(l.moto.AWSConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		return errors.New("moto accepted unknown credentials after IAM enforcement was turned on")
	}
	return nil
}

// instanceRole is what the instance profile serves at
// iam/security-credentials/ROLE: the instance role's name and temporary
// credentials. EC2 assumes the role as the ec2.amazonaws.com service, a
// principal moto's enforcement cannot express (it fails on a trust policy
// without an AWS principal), so the harness checks the trust policy
// itself, exactly as written, and exempts the one AssumeRole request from
// moto's check. moto's enforcement then judges every call made with the
// credentials by the role's policies.
func (l *Lab) instanceRole(ctx context.Context) (emulator.InstanceRole, error) {
	roleARN := l.Outputs["instanceRoleArn"]
	if err := l.checkTrustAdmitsEC2(ctx, roleARN); err != nil {
		return emulator.InstanceRole{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.moto.ExemptNextRequests(ctx, 1); err != nil {
		return emulator.InstanceRole{}, err
	}
	out, err := sts.NewFromConfig(l.admin, func(o *sts.Options) { o.RetryMaxAttempts = 1 }).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(roleARN),
		RoleSessionName: aws.String("ec2-instance"),
	})
	if err != nil {
		return emulator.InstanceRole{}, fmt.Errorf("assuming the instance role %s as EC2: %w", roleARN, err)
	}
	return emulator.InstanceRole{
		Name: roleARN[strings.LastIndex(roleARN, "/")+1:],
		Credentials: emulator.Credentials{
			AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
			SecretAccessKey: aws.ToString(out.Credentials.SecretAccessKey),
			SessionToken:    aws.ToString(out.Credentials.SessionToken),
		},
		Expiration: aws.ToTime(out.Credentials.Expiration),
	}, nil
}

// checkTrustAdmitsEC2 reads the role's trust policy from moto and checks
// that it lets the EC2 service, and only principals of that kind, assume it.
func (l *Lab) checkTrustAdmitsEC2(ctx context.Context, roleARN string) error {
	name := roleARN[strings.LastIndex(roleARN, "/")+1:]
	out, err := iam.NewFromConfig(l.admin).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("reading role %s: %w", name, err)
	}
	text, err := url.QueryUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		return fmt.Errorf("role %s: trust policy: %w", name, err)
	}
	var trust policy.Document
	if err := jsonStrict(text, &trust); err != nil {
		return fmt.Errorf("role %s: trust policy %s: %w", name, text, err)
	}
	for _, st := range trust.Statement {
		if st.Effect == "Allow" && slices.Contains(st.Action, "sts:AssumeRole") && st.Principal["Service"] == "ec2.amazonaws.com" {
			return nil
		}
	}
	return fmt.Errorf("role %s: its trust policy %s does not let EC2 assume it, so no instance could use it", name, text)
}

// newInstanceDir returns a fresh directory under the work dir.
func (l *Lab) newInstanceDir(instanceID string) (string, error) {
	l.mu.Lock()
	l.booted++
	n := l.booted
	l.mu.Unlock()
	dir := filepath.Join(l.workDir, fmt.Sprintf("%02d-%s", n, instanceID))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	return dir, nil
}

func (l *Lab) ec2() *ec2.Client                 { return ec2.NewFromConfig(l.admin) }
func (l *Lab) autoscaling() *autoscaling.Client { return autoscaling.NewFromConfig(l.admin) }

// StandInUserScript replaces the stack's user script in the lab: the dev
// stack's installs nginx with dnf, which only Amazon Linux has. It leaves a
// mark the tests look for, at InstanceMarker on the instance.
const StandInUserScript = "#!/bin/bash\nset -euo pipefail\necho \"user script: running on $(cat /proc/sys/kernel/hostname)\"\ntouch " + InstanceMarker + "\n"

// InstanceMarker is the file StandInUserScript creates on the instance.
const InstanceMarker = "/var/lib/selfhealing/user-script-ran"

// StandInOverrides are the config overrides a lab deploys the dev stack
// with: the stack as it is, but for its user script.
func StandInOverrides() map[string]string {
	return map[string]string{"selfhealing:userScript": StandInUserScript}
}

// Unset, as an override's value, removes the key from the stack's config.
const Unset = "\x00unset"

// SeedStackShape names the stack SeedStackOverrides shape.
const SeedStackShape = "seed-shaped"

// SeedStackOverrides shape the dev stack for the seed article's script:
// no data volume and no launch gate (the article has neither), so the seed
// is judged on what it promises, the address moving to the replacement.
// The group, the Elastic IP and the instance role stay the dev stack's.
func SeedStackOverrides() map[string]string {
	o := StandInOverrides()
	o["selfhealing:dataVolume"] = Unset
	o["selfhealing:launchGate"] = "false"
	return o
}

// NetworkInterfaceShape names the stack NetworkInterfaceOverrides shape.
const NetworkInterfaceShape = "with-network-interface"

// NetworkInterfaceOverrides shape the dev stack with a persistent network
// interface, created in the group's first subnet, which carries the
// Elastic IP: the group, the data volume and the launch gate stay the dev
// stack's.
func NetworkInterfaceOverrides() map[string]string {
	o := StandInOverrides()
	o["selfhealing:networkInterface"] = "{}"
	return o
}

// hasLaunchGate reports whether the deployed group has the launch gate's
// lifecycle hook: the lab asks the group, not the stack's config.
func (l *Lab) hasLaunchGate() (bool, error) {
	out, err := l.autoscaling().DescribeLifecycleHooks(context.Background(), &autoscaling.DescribeLifecycleHooksInput{
		AutoScalingGroupName: aws.String(l.Outputs["autoScalingGroupName"]),
	})
	if err != nil {
		return false, fmt.Errorf("describing the group's lifecycle hooks: %w", err)
	}
	for _, hook := range out.LifecycleHooks {
		if aws.ToString(hook.LifecycleHookName) == components.LaunchGateHookName {
			return true, nil
		}
	}
	return false, nil
}
