package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
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
