package components_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/policy"
	"github.com/selfhealing-dev/selfhealing/internal/synth"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// The component's tests that need the test lab's emulators live here, in
// the lab's module; the rest, and their fuller deployment helpers, are in
// components/ beside the component. These are the few the tests here use,
// with the same names and the same mock account.

const (
	testProject = "proj"
	testStack   = "test"
	testName    = "bastion"

	typeLogGroup = "aws:cloudwatch/logGroup:LogGroup"
	logsKeyARN   = "arn:aws:kms:eu-west-1:123456789012:key/1111bbbb-12ab-34cd-56ef-1234567890ab"
)

var (
	testHTTPS    = components.HTTPSArgs{DomainName: "app.example.com", Email: "ops@example.com", AppPort: 8080}
	testHTTPSDNS = components.DNSArgs{ZoneID: pulumi.String(fake.StandInZoneID), RecordName: "app.example.com"}
)

// deployment is what one mock deployment of the component registered.
type deployment struct {
	t       *testing.T
	monitor *fake.Monitor
}

// mustDeploy runs NewSelfHealingInstance under the fake monitor against a
// fake account that shape may change first, and fails the test if the
// program or the constructor fails.
func mustDeploy(t *testing.T, args *components.SelfHealingInstanceArgs, shape ...func(*fake.Account)) *deployment {
	t.Helper()
	account := fake.NewAccount("eu-west-1")
	for _, f := range shape {
		f(account)
	}
	d := &deployment{t: t, monitor: fake.NewMonitor(account)}
	var constructErr error
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, constructErr = components.NewSelfHealingInstance(ctx, testName, args)
		return nil
	}, pulumi.WithMocks(testProject, testStack, d.monitor))
	if err != nil {
		t.Fatalf("running the program: %v", err)
	}
	if constructErr != nil {
		t.Fatalf("NewSelfHealingInstance: %v", constructErr)
	}
	return d
}

// one returns the single registered resource of a type, failing otherwise.
func (d *deployment) one(typeToken string) fake.Resource {
	d.t.Helper()
	found := d.monitor.ByType(typeToken)
	if len(found) != 1 {
		d.t.Fatalf("want exactly one %s, got %d", typeToken, len(found))
	}
	return found[0]
}

// inputs returns a resource's inputs as plain Go values.
func inputs(r fake.Resource) map[string]any {
	m, _ := synth.Plain(resource.NewProperty(r.Inputs)).(map[string]any)
	return m
}

// bootScript decodes the launch template's user data.
func (d *deployment) bootScript() string {
	d.t.Helper()
	encoded, _ := inputs(d.one("aws:ec2/launchTemplate:LaunchTemplate"))["userData"].(string)
	script, err := userdata.Decode(encoded)
	if err != nil {
		d.t.Fatalf("userData: %v", err)
	}
	return script
}

// rolePolicy parses the instance role's inline policy.
func (d *deployment) rolePolicy() policy.Document {
	d.t.Helper()
	text, ok := inputs(d.one("aws:iam/rolePolicy:RolePolicy"))["policy"].(string)
	if !ok {
		d.t.Fatal("the role policy's policy is not a JSON string")
	}
	var doc policy.Document
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		d.t.Fatalf("policy is not a policy document: %v\n%s", err, text)
	}
	return doc
}

// statement returns the policy's statement with sid, failing if absent.
func statement(t *testing.T, doc policy.Document, sid string) policy.Statement {
	t.Helper()
	for _, st := range doc.Statement {
		if st.Sid == sid {
			return st
		}
	}
	t.Fatalf("the policy has no statement %s: %+v", sid, doc.Statement)
	return policy.Statement{}
}
