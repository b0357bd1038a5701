package selfhealingtest_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components"
	"github.com/selfhealing-dev/selfhealing/components/selfhealingtest"
)

// myProgram is the program under test.
func myProgram(ctx *pulumi.Context) error {
	_, err := components.NewSelfHealingInstance(ctx, "web", &components.SelfHealingInstanceArgs{
		InstanceType: "t4g.small",
		DNS:          &components.DNSArgs{ZoneID: pulumi.String("Z0MYZONE"), RecordName: "web.example.org"},
	})
	return err
}

// myMocks are the program's own mocks. They see every resource, the
// component's too, and answer every invoke that is not the component's.
type myMocks struct {
	mu    sync.Mutex
	types []string
}

func (m *myMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.types = append(m.types, args.TypeToken)
	return args.Name + "_id", args.Inputs, nil
}

func (m *myMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return args.Args, nil
}

func TestMyProgram(t *testing.T) {
	mine := &myMocks{}
	mocks := selfhealingtest.Mocks(mine,
		selfhealingtest.WithRegion("eu-west-1"),
		selfhealingtest.WithHostedZone("Z0MYZONE", "example.org"))
	if err := pulumi.RunErr(myProgram, pulumi.WithMocks("my-project", "test", mocks)); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(mine.types, "aws:route53/record:Record") {
		t.Errorf("no DNS record among %v", mine.types)
	}
}
