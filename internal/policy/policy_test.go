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

// The network interface's statements: attach and detach of this one
// interface only, onto and from this group's instances only, and the two
// reads that take no resource.
func TestNetworkInterfaceStatementsScopeToThisInterfaceAndGroup(t *testing.T) {
	s := fullScope()
	s.NetworkInterface = &NetworkInterfaceScope{InterfaceID: "eni-0123456789abcdef0", ForceDetach: true}
	eni := "arn:aws:ec2:eu-west-1:123456789012:network-interface/eni-0123456789abcdef0"
	byAction := map[string][]Statement{}
	for _, st := range Instance(s).Statement {
		for _, action := range st.Action {
			byAction[action] = append(byAction[action], st)
		}
	}
	for _, action := range []string{"ec2:AttachNetworkInterface", "ec2:DetachNetworkInterface"} {
		sts := byAction[action]
		if len(sts) != 2 {
			t.Fatalf("%s is in %d statements, want 2 (the interface, and this group's instances): %+v", action, len(sts), sts)
		}
		var sawInterface, sawInstances bool
		for _, st := range sts {
			switch {
			case slices.Equal(st.Resource, []string{eni}) && st.Condition == nil:
				sawInterface = true
			case slices.Equal(st.Resource, []string{"arn:aws:ec2:eu-west-1:123456789012:instance/*"}) &&
				st.Condition["StringEquals"]["aws:ResourceTag/aws:autoscaling:groupName"] == "proj-dev-web":
				sawInstances = true
			default:
				t.Errorf("%s statement %s: resource %v, condition %v; want only the interface, or this group's instances",
					action, st.Sid, st.Resource, st.Condition)
			}
		}
		if !sawInterface || !sawInstances {
			t.Errorf("%s: interface statement %v, group's instances statement %v; want both", action, sawInterface, sawInstances)
		}
	}
	if sts := byAction["ec2:DescribeNetworkInterfaces"]; len(sts) != 1 || !slices.Equal(sts[0].Resource, []string{"*"}) {
		t.Errorf("DescribeNetworkInterfaces statements %+v, want one on *", sts)
	}

	s.NetworkInterface.ForceDetach = false
	for _, st := range Instance(s).Statement {
		if slices.Contains(st.Action, "ec2:DetachNetworkInterface") {
			t.Errorf("without forceDetach, statement %s still allows DetachNetworkInterface", st.Sid)
		}
	}
	// The address stays on the interface: the instance never moves it.
	for _, st := range Instance(s).Statement {
		if slices.Contains(st.Action, "ec2:AssociateAddress") || slices.Contains(st.Action, "ec2:DescribeAddresses") {
			t.Errorf("with the interface, statement %s still allows %v", st.Sid, st.Action)
		}
	}
	if got := sids(Instance(fullScope())); slices.Contains(got, "AttachThisNetworkInterface") {
		t.Errorf("a policy without a network interface has its statements: %v", got)
	}
}

// allows reports whether a statement of d allows action on resource, and
// returns its conditions.
func allows(d Document, action, resource string) (bool, map[string]map[string]any) {
	for _, st := range d.Statement {
		if st.Effect == "Allow" && slices.Contains(st.Action, action) && slices.Contains(st.Resource, resource) {
			return true, st.Condition
		}
	}
	return false, nil
}

// The hand-over, without the launch gate and without forceDetach: the
// instance may detach its data volume only, from this group's instances
// only, complete this group's lifecycle hooks only, and ask the group
// which instance holds the volume, which Describe allows only on "*".
func TestHandoverDetachesThisVolumeFromThisGroupsInstancesOnly(t *testing.T) {
	s := Scope{Partition: "aws", DNSSuffix: "amazonaws.com", Region: "eu-west-1", AccountID: "123456789012",
		AllocationID: "eipalloc-0123456789abcdef0", AutoScalingGroupName: "proj-dev-web",
		DataVolume: &DataVolumeScope{VolumeID: "vol-0123456789abcdef0", Handover: true}}
	doc := Instance(s)
	if ok, cond := allows(doc, "ec2:DetachVolume", "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0123456789abcdef0"); !ok || cond != nil {
		t.Errorf("DetachVolume of the data volume: allowed %v, conditions %v; want allowed, unconditioned", ok, cond)
	}
	ok, cond := allows(doc, "ec2:DetachVolume", "arn:aws:ec2:eu-west-1:123456789012:instance/*")
	if got := cond["StringEquals"]["aws:ResourceTag/"+AutoScalingGroupTagKey]; !ok || got != "proj-dev-web" {
		t.Errorf("DetachVolume from instances: allowed %v, conditions %v; want only this group's", ok, cond)
	}
	for _, st := range doc.Statement {
		if slices.Contains(st.Action, "ec2:DetachVolume") {
			for _, r := range st.Resource {
				if r != "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0123456789abcdef0" && r != "arn:aws:ec2:eu-west-1:123456789012:instance/*" {
					t.Errorf("statement %s allows DetachVolume on %s", st.Sid, r)
				}
			}
		}
	}
	group := "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/proj-dev-web"
	if ok, _ := allows(doc, "autoscaling:CompleteLifecycleAction", group); !ok {
		t.Errorf("CompleteLifecycleAction on this group is not allowed: %v", sids(doc))
	}
	if ok, _ := allows(doc, "autoscaling:DescribeAutoScalingInstances", "*"); !ok {
		t.Errorf("DescribeAutoScalingInstances is not allowed: %v", sids(doc))
	}
	// Without the hand-over (and without forceDetach and the gate), none
	// of it.
	s.DataVolume.Handover = false
	doc = Instance(s)
	for _, action := range []string{"ec2:DetachVolume", "autoscaling:CompleteLifecycleAction", "autoscaling:DescribeAutoScalingInstances"} {
		for _, st := range doc.Statement {
			if slices.Contains(st.Action, action) {
				t.Errorf("without the hand-over, statement %s allows %s", st.Sid, action)
			}
		}
	}
}
