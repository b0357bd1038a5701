package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// TestStartMoto shows that moto answers the SDK and the AWS CLI on the
// returned URL, and that cleanup stops it.
func TestStartMoto(t *testing.T) {
	t.Parallel()
	RequireTool(t, "moto_server", motoInstallHint) // skip here, not in the subtest
	var url string
	t.Run("serves", func(t *testing.T) {
		m := StartMoto(t, MotoOptions{})
		url = m.URL
		if !strings.HasPrefix(m.URL, "http://127.0.0.1:") || m.Region != DefaultRegion {
			t.Errorf("StartMoto = %+v, want a loopback URL and region %s", m, DefaultRegion)
		}

		ctx := testContext(t, time.Minute)
		if _, err := ec2.NewFromConfig(m.AWSConfig()).DescribeAddresses(ctx, &ec2.DescribeAddressesInput{}); err != nil {
			t.Errorf("SDK DescribeAddresses: %v", err)
		}

		res := runAWS(t, CLIEnv(t, m.URL, Credentials{}),
			"sts", "get-caller-identity", "--region", m.Region, "--query", "Account", "--output", "text")
		requireCLISuccess(t, res)
		if got := strings.TrimSpace(res.Stdout); got != "123456789012" {
			t.Errorf("CLI get-caller-identity account = %q, want moto's default 123456789012", got)
		}

		// Without LoadManagedPolicies moto has no AWS managed policies.
		_, err := iam.NewFromConfig(m.AWSConfig()).GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(ssmCorePolicyARN)})
		var noSuch *iamtypes.NoSuchEntityException
		if !errors.As(err, &noSuch) {
			t.Errorf("GetPolicy %s without LoadManagedPolicies: %v, want NoSuchEntity", ssmCorePolicyARN, err)
		}
	})
	requireRefused(t, url)
}

func TestMotoReset(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	cfg := m.AWSConfig()
	ctx := testContext(t, time.Minute)
	if _, _, err := AllocateAddress(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if n := countAddresses(t, ctx, cfg); n != 1 {
		t.Fatalf("%d addresses before Reset, want 1", n)
	}
	if err := m.Reset(ctx); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if n := countAddresses(t, ctx, cfg); n != 0 {
		t.Errorf("%d addresses after Reset, want 0", n)
	}
}

// TestMotoEnforceIAMNow shows how moto enforces IAM once asked to, with the
// AWS CLI as the client: unknown keys get AuthFailure, a known user gets
// what its policy allows and AccessDenied (not EC2's UnauthorizedOperation)
// otherwise, and signatures stay valid through a FaultProxy.
func TestMotoEnforceIAMNow(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	ctx := testContext(t, time.Minute)
	user := createIAMUser(t, ctx, m.AWSConfig(), "booter", "ec2:DescribeAddresses")
	fixture := NewEIPFixture(t, m.AWSConfig())

	// Before enforcement, anything goes.
	requireCLISuccess(t, runAWS(t, CLIEnv(t, m.URL, Credentials{AccessKeyID: "nobody", SecretAccessKey: "x"}),
		"ec2", "describe-addresses", "--region", m.Region))

	if err := m.EnforceIAMNow(ctx); err != nil {
		t.Fatal(err)
	}
	requireCLIError(t, runAWS(t, CLIEnv(t, m.URL, TestCredentials), "ec2", "describe-addresses", "--region", m.Region),
		"AuthFailure", "DescribeAddresses")

	userEnv := CLIEnv(t, m.URL, user)
	requireCLISuccess(t, runAWS(t, userEnv, "ec2", "describe-addresses", "--region", m.Region))
	requireCLIError(t, runAWS(t, userEnv, "ec2", "associate-address", "--region", m.Region,
		"--allocation-id", fixture.AllocationID, "--instance-id", fixture.InstanceID, "--allow-reassociation"),
		"AccessDenied", "AssociateAddress")

	proxy := NewFaultProxy(t, m.URL)
	requireCLISuccess(t, runAWS(t, CLIEnv(t, proxy.URL, user), "ec2", "describe-addresses", "--region", m.Region))
	if proxy.Calls("DescribeAddresses") != 1 {
		t.Errorf("the proxy saw %d DescribeAddresses calls, want 1", proxy.Calls("DescribeAddresses"))
	}
}

// TestMotoEnforceIAMOption shows that MotoOptions.EnforceIAM lets exactly
// UnauthenticatedRequests requests through unchecked.
func TestMotoEnforceIAMOption(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{EnforceIAM: true, UnauthenticatedRequests: 3})
	ctx := testContext(t, time.Minute)
	// createIAMUser makes exactly three requests.
	user := createIAMUser(t, ctx, m.AWSConfig(), "booter", "ec2:DescribeAddresses")

	_, err := ec2.NewFromConfig(m.AWSConfig()).DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AuthFailure" {
		t.Errorf("DescribeAddresses with the test credentials after 3 requests: got %v, want AuthFailure", err)
	}
	userCfg := AWSConfig(m.URL, m.Region, user)
	if _, err := ec2.NewFromConfig(userCfg).DescribeAddresses(ctx, &ec2.DescribeAddressesInput{}); err != nil {
		t.Errorf("DescribeAddresses as the IAM user: %v", err)
	}
}

// createIAMUser creates an IAM user allowed only actions, and an access key
// for it, in three requests.
func createIAMUser(t *testing.T, ctx context.Context, cfg aws.Config, name string, actions ...string) Credentials {
	t.Helper()
	client := iam.NewFromConfig(cfg)
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("create IAM user: %v", err)
	}
	policy, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{
			{"Effect": "Allow", "Action": actions, "Resource": "*"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutUserPolicy(ctx, &iam.PutUserPolicyInput{
		UserName:       aws.String(name),
		PolicyName:     aws.String(name + "-policy"),
		PolicyDocument: aws.String(string(policy)),
	}); err != nil {
		t.Fatalf("put IAM user policy: %v", err)
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("create access key: %v", err)
	}
	return Credentials{
		AccessKeyID:     aws.ToString(key.AccessKey.AccessKeyId),
		SecretAccessKey: aws.ToString(key.AccessKey.SecretAccessKey),
	}
}

// countAddresses returns how many Elastic IPs moto holds.
func countAddresses(t *testing.T, ctx context.Context, cfg aws.Config) int {
	t.Helper()
	out, err := ec2.NewFromConfig(cfg).DescribeAddresses(ctx, &ec2.DescribeAddressesInput{})
	if err != nil {
		t.Fatalf("DescribeAddresses: %v", err)
	}
	return len(out.Addresses)
}

// TestStartMotoE shows the error-returning start without a testing.TB:
// moto serves, its log is readable, and Close stops it, removes its
// directory and can be called again.
func TestStartMotoE(t *testing.T) {
	t.Parallel()
	RequireTool(t, "moto_server", motoInstallHint)
	m, err := StartMotoE(MotoOptions{Region: "eu-west-1"})
	if err != nil {
		t.Fatalf("StartMotoE: %v", err)
	}
	closed := false
	defer func() {
		if !closed {
			m.Close()
		}
	}()
	if m.Region != "eu-west-1" || !strings.HasPrefix(m.URL, "http://127.0.0.1:") {
		t.Errorf("StartMotoE = %+v, want a loopback URL and region eu-west-1", m)
	}
	ctx := testContext(t, time.Minute)
	if n := countAddresses(t, ctx, m.AWSConfig()); n != 0 {
		t.Errorf("a fresh moto holds %d addresses", n)
	}
	if tail := m.LogTail(); !strings.Contains(tail, "POST / HTTP/1.1") {
		t.Errorf("LogTail = %q, want moto's request log", tail)
	}
	dir := m.srv.dir
	pid := m.srv.proc.cmd.Process.Pid

	closed = true
	requireClosesCleanly(t, m.Close, m.URL, pid, dir)
	if tail := m.LogTail(); !strings.Contains(tail, "POST / HTTP/1.1") {
		t.Errorf("LogTail after Close = %q, want the log as it was", tail)
	}
}

// TestMotoCloseWithoutStart shows that Close and LogTail are harmless on a
// Moto that was not started by this package.
func TestMotoCloseWithoutStart(t *testing.T) {
	m := &Moto{URL: "http://127.0.0.1:1"}
	if err := m.Close(); err != nil || m.LogTail() != "" {
		t.Errorf("Close, LogTail of an unstarted Moto = %v, %q; want nil, \"\"", err, m.LogTail())
	}
}

// TestStartMotoEMissing shows the error when moto_server is not on PATH,
// and that StartMoto still fails (never skips) in CI.
func TestStartMotoEMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := StartMotoE(MotoOptions{})
	if !errors.Is(err, exec.ErrNotFound) {
		t.Fatalf("StartMotoE without moto_server on PATH: %v, want an error wrapping exec.ErrNotFound", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "moto_server") || !strings.Contains(msg, motoInstallHint) {
		t.Errorf("error %q should name moto_server and say how to install it", msg)
	}

	t.Setenv("CI", "true")
	f := runFake(t, func(tb testing.TB) {
		StartMoto(tb, MotoOptions{})
		t.Error("StartMoto returned without moto_server")
	})
	if fatal, skip := f.outcome(); skip != "" || !strings.Contains(fatal, "moto_server") {
		t.Errorf("StartMoto in CI without moto_server: fatal %q, skip %q; want a failure naming moto_server", fatal, skip)
	}
}

// TestStartMotoEFailureIncludesLog shows that when moto_server cannot start,
// the error carries its output and nothing is left behind.
func TestStartMotoEFailureIncludesLog(t *testing.T) {
	bin := t.TempDir()
	script := "#!/bin/sh\necho \"fake moto_server refuses: $*\" >&2\nexit 2\n"
	if err := os.WriteFile(filepath.Join(bin, "moto_server"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	m, err := StartMotoE(MotoOptions{})
	if err == nil {
		m.Close()
		t.Fatal("StartMotoE succeeded with a moto_server that exits at once")
	}
	for _, want := range []string{"start moto_server", "exited before answering", "fake moto_server refuses: -H 127.0.0.1 -p "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q should contain %q", err, want)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("StartMotoE left %v in TMPDIR after failing", left)
	}
}

func TestMotoEnv(t *testing.T) {
	base := []string{"PATH=/bin", "INITIAL_NO_AUTH_ACTION_COUNT=7", "MOTO_IAM_LOAD_MANAGED_POLICIES=true"}
	for _, tc := range []struct {
		opts MotoOptions
		want []string
	}{
		{MotoOptions{}, []string{"PATH=/bin"}},
		{MotoOptions{UnauthenticatedRequests: 3}, []string{"PATH=/bin"}},
		{MotoOptions{EnforceIAM: true, UnauthenticatedRequests: 3}, []string{"PATH=/bin", "INITIAL_NO_AUTH_ACTION_COUNT=3"}},
		{MotoOptions{LoadManagedPolicies: true}, []string{"PATH=/bin", "MOTO_IAM_LOAD_MANAGED_POLICIES=true"}},
	} {
		if got := motoEnv(base, tc.opts); !slices.Equal(got, tc.want) {
			t.Errorf("motoEnv(%+v) = %q, want %q", tc.opts, got, tc.want)
		}
	}
}

// TestMotoLoadManagedPolicies shows that with LoadManagedPolicies moto knows
// AWS managed policies and attaches them to roles, and that without it
// (TestStartMoto's moto has it off) it does not.
func TestMotoLoadManagedPolicies(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{LoadManagedPolicies: true})
	ctx := testContext(t, time.Minute)
	client := iam.NewFromConfig(m.AWSConfig())
	if _, err := client.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(ssmCorePolicyARN)}); err != nil {
		t.Fatalf("GetPolicy %s: %v", ssmCorePolicyARN, err)
	}
	attachPolicy(t, ctx, client, "ssm-role", ssmCorePolicyARN)
	out, err := client.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("ssm-role")})
	if err != nil || len(out.AttachedPolicies) != 1 || aws.ToString(out.AttachedPolicies[0].PolicyArn) != ssmCorePolicyARN {
		t.Errorf("ListAttachedRolePolicies = %+v, %v; want only %s", out, err, ssmCorePolicyARN)
	}
}

// ssmCorePolicyARN is an AWS managed policy the stack attaches.
const ssmCorePolicyARN = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"

// attachPolicy creates an EC2 role called role and attaches policyARN to it.
func attachPolicy(t *testing.T, ctx context.Context, client *iam.Client, role, policyARN string) {
	t.Helper()
	if _, err := client.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(role),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	}); err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	if _, err := client.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{
		RoleName: aws.String(role), PolicyArn: aws.String(policyARN),
	}); err != nil {
		t.Fatalf("AttachRolePolicy %s: %v", policyARN, err)
	}
}
