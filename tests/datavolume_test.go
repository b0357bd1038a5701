package tests

import (
	"github.com/selfhealing-dev/selfhealing/userdata"
	"strings"
	"testing"
)

func TestDataVolumeFromConfig(t *testing.T) {
	monitor, err := runProgram(t, loadDev(t), map[string]string{
		"selfhealing:dataVolume": `{"sizeGiB": 30, "availabilityZone": "us-east-1b", "mountPath": "/srv/app",
			"snapshots": {"timeUtc": "03:00", "retainCount": 14}}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	volume := only(t, monitor, "aws:ebs/volume:Volume")
	if volume["size"] != 30.0 || volume["availabilityZone"] != "us-east-1b" || volume["encrypted"] != true {
		t.Errorf("volume = %v", volume)
	}
	if got := only(t, monitor, "aws:autoscaling/group:Group")["vpcZoneIdentifiers"].([]any); len(got) != 1 {
		t.Errorf("vpcZoneIdentifiers = %v, want the one default subnet in us-east-1b", got)
	}
	policy := only(t, monitor, "aws:dlm/lifecyclePolicy:LifecyclePolicy")
	if got := policy["policyDetails"].(map[string]any)["schedules"].([]any)[0].(map[string]any)["retainRule"]; got.(map[string]any)["count"] != 14.0 {
		t.Errorf("retainRule = %v, want 14", got)
	}
}

// A section's key present turns it on, as a non-nil args field does in Go:
// an empty object then names what it lacks instead of quietly doing
// nothing.
func TestEmptyDataVolumeObjectTurnsItOnAndNamesWhatIsMissing(t *testing.T) {
	requireRejected(t, loadDev(t), map[string]string{"selfhealing:dataVolume": `{}`}, "dataVolume.sizeGiB 0", "required unless volumeId")
}

func TestBadDataVolumeConfigNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  []string
	}{
		{`{"size": 20}`, []string{"selfhealing:dataVolume", `unknown field "size"`}},
		{`{"sizeGiB": "big"}`, []string{"selfhealing:dataVolume", "sizeGiB"}},
		{`{"sizeGiB": 20, "attachTimeoutSeconds": 0}`, []string{"dataVolume.attachTimeoutSeconds 0: want 30 to 3600"}},
		{`{"sizeGiB": 20, "snapshots": {"timeUtc": "03:00", "retainCount": 0}}`, []string{"dataVolume.snapshots.retainCount 0: want 1 to 1000"}},
		{`{"sizeGiB": 20, "fsType": "zfs"}`, []string{"dataVolume.fsType", "ext4 or xfs"}},
		{`{"sizeGiB": 20, "availabilityZone": "us-east-1z"}`, []string{"dataVolume", "us-east-1z"}},
	} {
		t.Run(tc.value, func(t *testing.T) {
			requireRejected(t, loadDev(t), map[string]string{"selfhealing:dataVolume": tc.value}, tc.want...)
		})
	}
}

func TestForceDetachCanBeTurnedOff(t *testing.T) {
	monitor, err := runProgram(t, loadDev(t), map[string]string{"selfhealing:dataVolume": `{"sizeGiB": 20, "forceDetach": false}`})
	if err != nil {
		t.Fatal(err)
	}
	policy := only(t, monitor, "aws:iam/rolePolicy:RolePolicy")["policy"].(string)
	if !strings.Contains(policy, "ec2:AttachVolume") {
		t.Errorf("forceDetach false: policy = %s", policy)
	}
	// The hand-over still detaches the volume from the instance the group
	// terminates; the boot script no longer force-detaches it.
	script, err := userdata.Decode(only(t, monitor, "aws:ec2/launchTemplate:LaunchTemplate")["userData"].(string))
	if err != nil || !strings.Contains(script, "readonly force_detach='false'") {
		t.Errorf("forceDetach false did not reach the boot script (err %v)", err)
	}
}

func TestDataVolumeFromASnapshotAndItsHealthCheckFromConfig(t *testing.T) {
	monitor, err := runProgram(t, loadDev(t), map[string]string{
		"selfhealing:dataVolume": `{"snapshotId": "snap-0da7a000000000001", "ebsHealthCheck": false}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	volume := only(t, monitor, "aws:ebs/volume:Volume")
	if volume["snapshotId"] != "snap-0da7a000000000001" || volume["size"] != nil || volume["encrypted"] != true {
		t.Errorf("volume = %v, want one created from the snapshot, at its size, encrypted", volume)
	}
	if got := only(t, monitor, "aws:autoscaling/group:Group")["healthCheckType"]; got != "EC2" {
		t.Errorf("healthCheckType = %v with ebsHealthCheck false, want EC2", got)
	}

	monitor, err = runProgram(t, loadDev(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := only(t, monitor, "aws:autoscaling/group:Group")["healthCheckType"]; got != "EBS" {
		t.Errorf("healthCheckType = %v for the dev stack's data volume, want EBS", got)
	}
	requireRejected(t, loadDev(t), map[string]string{"selfhealing:dataVolume": `{"snapshotID": "snap-0da7a000000000001"}`},
		"selfhealing:dataVolume", `unknown field "snapshotID"`, `snapshotId`)
}
