package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/selfhealing-dev/selfhealing/components/selfhealingtest"
)

// account is the program's own mocks: ids for what the program creates, or
// none in a preview, so that every id and ARN the program creates is
// unknown, as `pulumi preview` shows them. selfhealingtest answers the
// component's lookups in front of it.
type account struct {
	preview bool

	mu        sync.Mutex
	resources map[string]resource.PropertyMap // by type, then name
	order     []string
}

func newAccount(preview bool) *account {
	return &account{preview: preview, resources: map[string]resource.PropertyMap{}}
}

func (a *account) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	state := args.Inputs.Copy()
	id := ""
	if !a.preview && args.Custom {
		sum := sha256.Sum256([]byte(args.TypeToken + "/" + args.Name))
		prefix := map[string]string{"aws:ec2/vpc:Vpc": "vpc-", "aws:ec2/subnet:Subnet": "subnet-"}[args.TypeToken]
		id = prefix + hex.EncodeToString(sum[:])[:17]
		state["id"] = resource.NewStringProperty(id)
		switch args.TypeToken {
		case "aws:route53/zone:Zone":
			id = "Z" + strings.ToUpper(hex.EncodeToString(sum[:])[:20])
			state["zoneId"] = resource.NewStringProperty(id)
		case "aws:kms/key:Key":
			state["arn"] = resource.NewStringProperty("arn:aws:kms:eu-west-1:123456789012:key/" + hex.EncodeToString(sum[:16]))
		}
	}
	a.resources[args.TypeToken+"::"+args.Name] = state
	a.order = append(a.order, args.TypeToken+"::"+args.Name)
	return id, state, nil
}

// Call answers what selfhealingtest does not: nothing, in this program.
func (a *account) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return nil, fmt.Errorf("the mock account has no answer for %s; the program made a lookup it should not need", args.Token)
}

func (a *account) get(t *testing.T, typ, name string) resource.PropertyMap {
	t.Helper()
	r, ok := a.resources[typ+"::"+name]
	if !ok {
		t.Fatalf("no %s %q was registered; registered: %v", typ, name, a.order)
	}
	return r
}

func run(t *testing.T, preview bool) *account {
	t.Helper()
	a := newAccount(preview)
	mocks := selfhealingtest.Mocks(a, selfhealingtest.WithRegion("eu-west-1"))
	// The account holds only what the program creates: no default VPC and
	// no zone, so a lookup of anything else fails, as it would on AWS.
	mocks.Account.DefaultVpcID, mocks.Account.Subnets, mocks.Account.Zones = "", nil, map[string]selfhealingtest.Zone{}
	err := pulumi.RunErr(program, pulumi.WithMocks("selfhealing-vpc", "test", mocks), func(info *pulumi.RunInfo) { info.DryRun = preview })
	if err != nil {
		t.Fatalf("the program failed: %v", err)
	}
	return a
}

func TestTheComponentGetsTheVPCsSubnetsKeyAndZone(t *testing.T) {
	a := run(t, false)
	vpcID := a.get(t, "aws:ec2/vpc:Vpc", "app")["id"].StringValue()
	var subnets []string
	for _, zone := range zones {
		subnets = append(subnets, a.get(t, "aws:ec2/subnet:Subnet", "public-"+zone)["id"].StringValue())
	}
	group := a.get(t, "aws:autoscaling/group:Group", "app-asg")
	var got []string
	for _, v := range group["vpcZoneIdentifiers"].ArrayValue() {
		got = append(got, v.StringValue())
	}
	// The data volume lives in zone a, so the group launches only there.
	if !slices.Equal(got, subnets[:1]) {
		t.Errorf("the group launches into %v; want the VPC's subnet in the volume's zone, %v", got, subnets[:1])
	}
	if sg := a.get(t, "aws:ec2/securityGroup:SecurityGroup", "app-sg"); sg["vpcId"].StringValue() != vpcID {
		t.Errorf("the security group is in %v, want the program's VPC %s", sg["vpcId"], vpcID)
	}
	ingress := a.get(t, "aws:ec2/securityGroup:SecurityGroup", "app-sg")["ingress"].ArrayValue()
	if len(ingress) != 1 || ingress[0].ObjectValue()["cidrBlocks"].ArrayValue()[0].StringValue() != "10.20.0.0/16" {
		t.Errorf("ingress = %v, want port 80 from the VPC's CIDR block", ingress)
	}
	keyARN := a.get(t, "aws:kms/key:Key", "data")["arn"].StringValue()
	if v := a.get(t, "aws:ebs/volume:Volume", "app-data"); v["kmsKeyId"].StringValue() != keyARN {
		t.Errorf("the data volume is encrypted with %v, want the program's key %s", v["kmsKeyId"], keyARN)
	}
	zoneID := a.get(t, "aws:route53/zone:Zone", "app")["zoneId"].StringValue()
	if r := a.get(t, "aws:route53/record:Record", "app-dns"); r["zoneId"].StringValue() != zoneID {
		t.Errorf("the record is in zone %v, want the program's zone %s", r["zoneId"], zoneID)
	}
	if tags := a.get(t, "aws:ec2/launchTemplate:LaunchTemplate", "app-lt")["tags"].ObjectValue(); tags["vpc"].StringValue() != vpcID {
		t.Errorf("launch template tags = %v, want vpc=%s from a tag input", tags, vpcID)
	}
}

// In a preview, every id and ARN the program creates is unknown. A resource
// created inside an Apply on one of them would never be registered; so
// every child of the component being registered shows none is.
func TestPreviewWithUnknownInputsRegistersEveryResource(t *testing.T) {
	preview := run(t, true)
	update := run(t, false)
	if !slices.Equal(sortedCopy(preview.order), sortedCopy(update.order)) {
		t.Errorf("a preview registers %v,\nan update %v;\nsomething is created inside an Apply", sortedCopy(preview.order), sortedCopy(update.order))
	}
	for _, child := range []string{"aws:autoscaling/group:Group::app-asg", "aws:ec2/launchTemplate:LaunchTemplate::app-lt",
		"aws:ec2/securityGroup:SecurityGroup::app-sg", "aws:ebs/volume:Volume::app-data", "aws:route53/record:Record::app-dns",
		"aws:iam/rolePolicy:RolePolicy::app-policy"} {
		if !slices.Contains(preview.order, child) {
			t.Errorf("the preview did not register %s: %v", child, preview.order)
		}
	}
}

// A consumer's build must not pull in what the component's own tests use:
// the metadata mock, the AWS SDK the lab drives moto with, the lab itself.
func TestAConsumerBuildsWithoutTheTestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/selfhealing-dev/selfhealing/components") {
		t.Fatalf("the example does not build the component; the check would prove nothing:\n%s", out)
	}
	for _, dep := range deps {
		for _, banned := range []string{"amazon-ec2-metadata-mock", "github.com/aws/aws-sdk-go-v2", "selfhealing/lab/", "selfhealing/internal/emulator", "selfhealing/internal/heallab", "letsencrypt/pebble"} {
			if strings.Contains(dep, banned) {
				t.Errorf("a consumer builds %s", dep)
			}
		}
	}
}

// labModules are the modules only the component's test lab needs: the
// emulators (pebble and its DNS server, AWS's metadata mock and what it is
// built with), the AWS SDK the lab drives moto with, the agent schema's
// validator, and the lab's own module. A module path matches itself and
// every path below it.
var labModules = []string{
	"github.com/selfhealing-dev/selfhealing/lab",
	"github.com/letsencrypt/pebble",
	"github.com/letsencrypt/challtestsrv",
	"github.com/miekg/dns",
	"github.com/aws/amazon-ec2-metadata-mock",
	"github.com/spf13/viper",
	"github.com/gorilla/mux",
	"github.com/aws/aws-sdk-go-v2",
	"github.com/santhosh-tekuri/jsonschema/v6",
}

// A consumer's module graph, which `go mod tidy` writes into its go.sum and
// `go mod download` fetches, must not carry the test lab's modules either:
// they belong to the lab's own module (lab/go.mod), not the one a consumer
// requires.
func TestAConsumersModuleGraphHasNoTestLabModules(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "all").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -m all: %v\n%s", err, out)
	}
	var modules []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if fields := strings.Fields(line); len(fields) > 0 {
			modules = append(modules, fields[0])
		}
	}
	if !slices.Contains(modules, "github.com/selfhealing-dev/selfhealing") {
		t.Fatalf("the example's module graph lacks the component's module; the check would prove nothing:\n%s", out)
	}
	for _, m := range modules {
		for _, lab := range labModules {
			if m == lab || strings.HasPrefix(m, lab+"/") {
				t.Errorf("a consumer's module graph carries %s, which only the test lab needs", m)
			}
		}
	}
	t.Logf("the consumer's module graph has %d modules", len(modules))
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// docs/go-component.md (moved there from the README) shows the component's call from main.go, verbatim.
func TestTheREADMEShowsTheCall(t *testing.T) {
	const begin = "<!-- example: examples/vpc/main.go, the lines between its README markers; a test there checks it -->\n```go\n"
	readme, err := os.ReadFile("../../docs/go-component.md")
	if err != nil {
		t.Fatal(err)
	}
	source, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, region, ok := strings.Cut(string(source), "\t// README: begin\n")
	region, _, ok2 := strings.Cut(region, "\t// README: end")
	if !ok || !ok2 {
		t.Fatal("main.go lacks its README markers")
	}
	var lines []string
	for _, line := range strings.SplitAfter(region, "\n") {
		lines = append(lines, strings.TrimPrefix(line, "\t"))
	}
	_, block, ok := strings.Cut(string(readme), begin)
	block, _, ok2 = strings.Cut(block, "```\n<!-- example: end -->")
	if !ok || !ok2 {
		t.Fatalf("docs/go-component.md has no block starting %q", begin)
	}
	if want := strings.Join(lines, ""); block != want {
		t.Errorf("docs/go-component.md's block differs from main.go's:\ndocs/go-component.md:\n%s\nmain.go:\n%s", block, want)
	}
}
