package components_test

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/internal/deploytest"
	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
)

// The component's tests that need the test lab's emulators live here, in
// the lab's module; the rest are in components/ beside the component. Both
// deploy it through internal/deploytest.

const (
	testProject = deploytest.Project
	testStack   = deploytest.Stack
	testName    = "bastion"

	typeLogGroup = "aws:cloudwatch/logGroup:LogGroup"
	logsKeyARN   = "arn:aws:kms:eu-west-1:123456789012:key/1111bbbb-12ab-34cd-56ef-1234567890ab"
)

var (
	testHTTPS    = components.HTTPSArgs{DomainName: "app.example.com", Email: "ops@example.com", AppPort: 8080}
	testHTTPSDNS = components.DNSArgs{ZoneID: pulumi.String(fake.StandInZoneID), RecordName: "app.example.com"}
)

// mustDeploy runs NewSelfHealingInstance as testName under the fake
// account's mock monitor (internal/deploytest, which the component's own
// tests use too), and fails the test if it refuses the arguments.
func mustDeploy(t *testing.T, args *components.SelfHealingInstanceArgs, shape ...func(*fake.Account)) *deploytest.Deployment {
	t.Helper()
	return deploytest.MustDeploy(t, testName, args, shape...)
}
