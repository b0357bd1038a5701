package emulator

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// TestInstanceLaunchSettingsFollowTheTemplateVersion launches instances from
// two versions of a template in moto and reads back what EC2 would apply:
// each version's user data and metadata options, and a refusal for an
// instance whose user data is not the version's.
func TestInstanceLaunchSettingsFollowTheTemplateVersion(t *testing.T) {
	t.Parallel()
	m := StartMoto(t, MotoOptions{})
	cfg := m.AWSConfig()
	ctx := testContext(t, time.Minute)
	client := ec2.NewFromConfig(cfg)
	required := base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho required\n"))
	optional := base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho optional\n"))

	lt, err := client.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{
		LaunchTemplateName: aws.String("launch-settings"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{
			ImageId: aws.String(MotoAMI), InstanceType: types.InstanceTypeT3Micro, UserData: aws.String(required),
			MetadataOptions: &types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: types.LaunchTemplateHttpTokensStateRequired},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(lt.LaunchTemplate.LaunchTemplateId)
	if _, err := client.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: aws.String(id),
		LaunchTemplateData: &types.RequestLaunchTemplateData{
			ImageId: aws.String(MotoAMI), InstanceType: types.InstanceTypeT3Micro, UserData: aws.String(optional),
			MetadataOptions: &types.LaunchTemplateInstanceMetadataOptionsRequest{HttpTokens: types.LaunchTemplateHttpTokensStateOptional},
		},
	}); err != nil {
		t.Fatal(err)
	}
	launch := func(version string) string {
		t.Helper()
		out, err := client.RunInstances(ctx, &ec2.RunInstancesInput{
			MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			LaunchTemplate: &types.LaunchTemplateSpecification{LaunchTemplateId: aws.String(id), Version: aws.String(version)},
		})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.Instances[0].InstanceId)
	}

	for _, tc := range []struct {
		version  string
		userData string
		imdsv2   bool
	}{{"1", required, true}, {"2", optional, false}} {
		inst := launch(tc.version)
		got, err := InstanceLaunchSettings(ctx, cfg, inst, id, tc.version)
		if err != nil {
			t.Fatalf("version %s: %v", tc.version, err)
		}
		if got.UserData != tc.userData || got.IMDSv2Required != tc.imdsv2 {
			t.Errorf("version %s: %+v, want user data %q and IMDSv2Required %v", tc.version, got, tc.userData, tc.imdsv2)
		}
	}

	// An instance launched from version 1 does not hold version 2's user data.
	inst := launch("1")
	if _, err := InstanceLaunchSettings(ctx, cfg, inst, id, "2"); err == nil || !strings.Contains(err.Error(), "holds user data other than") {
		t.Errorf("instance of version 1 read as version 2: err %v, want a user data mismatch", err)
	}
	if _, err := InstanceLaunchSettings(ctx, cfg, inst, id, ""); err == nil {
		t.Error("no version: want an error")
	}
}
