package policy

import (
	"slices"
	"strings"
	"testing"
)

func fullScope() Scope {
	return Scope{
		Partition: "aws", DNSSuffix: "amazonaws.com", Region: "eu-west-1", AccountID: "123456789012",
		AllocationID: "eipalloc-0123456789abcdef0", AutoScalingGroupName: "proj-dev-web",
		SessionManager: true, LaunchGate: true,
		DataVolume: &DataVolumeScope{VolumeID: "vol-0123456789abcdef0", ForceDetach: true, MayFormat: true,
			KMSKeyARN: "arn:aws:kms:eu-west-1:123456789012:key/k"},
		Parameters:       &ParametersScope{Path: "/proj/dev/web", Decrypt: true},
		Logs:             &LogsScope{LogGroupName: "/selfhealing/proj/dev/web"},
		MetricsNamespace: "CWAgent",
	}
}

func sids(d Document) []string {
	var out []string
	for _, st := range d.Statement {
		out = append(out, st.Sid)
	}
	return out
}

// Each option adds its statements and nothing else; the minimal scope can
// move its address and report its health, no more.
func TestEachOptionAddsOnlyItsStatements(t *testing.T) {
	minimal := Scope{Partition: "aws", DNSSuffix: "amazonaws.com", Region: "eu-west-1", AccountID: "123456789012",
		AllocationID: "eipalloc-0123456789abcdef0", AutoScalingGroupName: "proj-dev-web"}
	got := sids(Instance(minimal))
	want := []string{"MoveThisElasticIP", "OntoThisGroupsInstances", "OntoTheirNetworkInterfaces", "VerifyTheAssociation", "ReportHealthToThisGroup"}
	for _, sid := range want {
		if !slices.Contains(got, sid) {
			t.Errorf("minimal policy lacks %s: %v", sid, got)
		}
	}
	for _, sid := range []string{"LetSessionManagerIn", "AttachThisDataVolume", "ShipLogsToThisLogGroup", "ReadThisInstancesParameters", "CompleteThisGroupsLaunchGate", "PublishTheAlarmsMetrics"} {
		if slices.Contains(got, sid) {
			t.Errorf("minimal policy has %s: %v", sid, got)
		}
		if !slices.Contains(sids(Instance(fullScope())), sid) {
			t.Errorf("full policy lacks %s", sid)
		}
	}
}

// "*" only where AWS allows nothing narrower: read-only Describe calls,
// Session Manager's five actions, which support no resource type, and
// PutMetricData, which supports none either, held to one namespace.
func TestWildcardResourcesOnlyWhereAWSAllowsNothingNarrower(t *testing.T) {
	for _, st := range Instance(fullScope()).Statement {
		if !slices.Contains(st.Resource, "*") {
			continue
		}
		for _, action := range st.Action {
			if action == "cloudwatch:PutMetricData" && st.Condition["StringEquals"]["cloudwatch:namespace"] == "CWAgent" && len(st.Action) == 1 {
				continue
			}
			if !strings.Contains(action, ":Describe") && !slices.Contains(SessionManagerActions, action) {
				t.Errorf("statement %s allows %s on *", st.Sid, action)
			}
		}
	}
}

func TestTrustPolicyTrustsOnlyTheService(t *testing.T) {
	doc := InstanceTrust("amazonaws.com.cn")
	if len(doc.Statement) != 1 || doc.Statement[0].Principal["Service"] != "ec2.amazonaws.com.cn" ||
		!slices.Equal(doc.Statement[0].Action, []string{"sts:AssumeRole"}) {
		t.Errorf("trust policy = %+v", doc)
	}
}
