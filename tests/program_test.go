package tests

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/fake"
	"github.com/selfhealing-dev/selfhealing/internal/programrun"
	"github.com/selfhealing-dev/selfhealing/internal/stackconfig"
	"github.com/selfhealing-dev/selfhealing/internal/synth"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// repoRoot holds Pulumi.yaml.
const repoRoot = ".."

// runProgram runs the program for a stack's configuration, with overrides
// of individual keys, and returns the monitor and the program's error.
func runProgram(t *testing.T, cfg *stackconfig.Stack, overrides map[string]string) (*fake.Monitor, error) {
	t.Helper()
	stack := *cfg
	stack.Config = maps.Clone(cfg.Config)
	maps.Copy(stack.Config, overrides)
	monitor := fake.NewMonitor(fake.NewAccount(stack.Config["aws:region"]))
	_, err := programrun.Run(&stack, monitor, programrun.Deploy)
	return monitor, err
}

// exampleStacks are the stack files the repository ships: dev, and full,
// which turns every optional feature on.
var exampleStacks = []string{"dev", "full"}

// requireRejected runs the program with overrides and fails the test unless
// it refuses them with an error mentioning every fragment, before creating
// any resource.
func requireRejected(t *testing.T, cfg *stackconfig.Stack, overrides map[string]string, fragments ...string) {
	t.Helper()
	monitor, err := runProgram(t, cfg, overrides)
	if err == nil {
		t.Fatal("accepted")
	}
	for _, want := range fragments {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	for _, r := range monitor.Resources() {
		if r.Custom {
			t.Errorf("%s %s was created despite the bad configuration", r.Type, r.Name)
		}
	}
}

func loadDev(t *testing.T) *stackconfig.Stack {
	t.Helper()
	return loadStack(t, "dev")
}

func loadStack(t *testing.T, name string) *stackconfig.Stack {
	t.Helper()
	cfg, err := stackconfig.Load(repoRoot, name)
	if err != nil {
		t.Fatalf("loading the %s stack: %v", name, err)
	}
	return cfg
}

func only(t *testing.T, m *fake.Monitor, typeToken string) map[string]any {
	t.Helper()
	found := m.ByType(typeToken)
	if len(found) != 1 {
		t.Fatalf("want one %s, got %d", typeToken, len(found))
	}
	inputs, _ := synth.Plain(resource.NewProperty(found[0].Inputs)).(map[string]any)
	return inputs
}

func TestDevStackDeploys(t *testing.T) {
	cfg := loadDev(t)
	monitor, err := runProgram(t, cfg, nil)
	if err != nil {
		t.Fatalf("the program failed on the dev stack: %v", err)
	}

	lt := only(t, monitor, "aws:ec2/launchTemplate:LaunchTemplate")
	if lt["instanceType"] != "t4g.small" || lt["imageId"] != "ami-0a120230000000a64" {
		t.Errorf("launch template runs %v on %v, want t4g.small on the arm64 Amazon Linux 2023", lt["instanceType"], lt["imageId"])
	}
	script, err := userdata.Decode(lt["userData"].(string))
	if err != nil || !strings.Contains(script, "systemctl enable --now nginx") {
		t.Errorf("user data lacks the dev stack's user script (err %v)", err)
	}

	sg := only(t, monitor, "aws:ec2/securityGroup:SecurityGroup")
	var ports []float64
	for _, rule := range sg["ingress"].([]any) {
		ports = append(ports, rule.(map[string]any)["fromPort"].(float64))
	}
	if !slices.Equal(ports, []float64{80, 443}) {
		t.Errorf("ingress ports = %v, want the dev stack's 80 and 443", ports)
	}

	group := only(t, monitor, "aws:autoscaling/group:Group")
	if group["name"] != "selfhealing-dev-instance" {
		t.Errorf("group name = %v, want selfhealing-dev-instance", group["name"])
	}
	tags := map[string]any{}
	for _, tag := range group["tags"].([]any) {
		tags[tag.(map[string]any)["key"].(string)] = tag.(map[string]any)["value"]
	}
	if tags["environment"] != "dev" || tags["owner"] != "platform-team" {
		t.Errorf("group tags = %v, want the dev stack's tags", tags)
	}

	// The dev stack's data volume: 8 GiB, encrypted gp3, protected, in the
	// first default subnet's zone, mounted at /srv/data by the boot script.
	volume := only(t, monitor, "aws:ebs/volume:Volume")
	if volume["size"] != 8.0 || volume["type"] != "gp3" || volume["encrypted"] != true || volume["availabilityZone"] != "us-east-1a" {
		t.Errorf("data volume = %v, want 8 GiB of encrypted gp3 in us-east-1a", volume)
	}
	if volumes := monitor.ByType("aws:ebs/volume:Volume"); len(volumes) == 1 && !volumes[0].Protect {
		t.Errorf("the data volume is not protected, but the dev stack keeps the default deletionPolicy protect")
	}
	if !strings.Contains(script, "mount_path='/srv/data'") {
		t.Errorf("the boot script does not mount the data volume at /srv/data")
	}
	if got := group["vpcZoneIdentifiers"].([]any); len(got) != 1 || got[0] != "subnet-0de1a0000000000a1" {
		t.Errorf("vpcZoneIdentifiers = %v, want only the default subnet in the volume's zone us-east-1a", got)
	}
}

func TestStacksExportEveryOutput(t *testing.T) {
	for _, stack := range exampleStacks {
		report, err := synth.Run(repoRoot, stack)
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		// Both stacks have a data volume.
		for _, name := range []string{"publicIp", "publicDns", "allocationId", "autoScalingGroupName", "launchTemplateId", "instanceRoleArn", "securityGroupId", "url", "dataVolumeId"} {
			if v, ok := report.Outputs[name].(string); !ok || v == "" {
				t.Errorf("%s: output %s = %v, want a value", stack, name, report.Outputs[name])
			}
		}
		// Absent when notifications are off (dev), a topic when on (full).
		v, ok := report.Outputs["notificationTopicArn"].(string)
		if ok != (stack == "full") || ok && !strings.HasPrefix(v, "arn:aws:sns:us-east-1:") {
			t.Errorf("%s: output notificationTopicArn = %#v", stack, report.Outputs["notificationTopicArn"])
		}
	}
}

func TestBadConfigurationNamesTheKey(t *testing.T) {
	cfg := loadDev(t)
	for _, tc := range []struct {
		key, value string
		want       []string
	}{
		{"selfhealing:metadataHopLimit", "two", []string{"selfhealing:metadataHopLimit", "whole number", "two"}},
		{"selfhealing:metadataHopLimit", "0", []string{"metadataHopLimit 0: want 1 to 64"}},
		{"selfhealing:instanceType", "", []string{"selfhealing:instanceType", "empty"}},
		{"selfhealing:retainOnDelete", "maybe", []string{"selfhealing:retainOnDelete", "true or false"}},
		{"selfhealing:ingress", `[{"protocol":"tcp","fromPort":443,"toPort":443,"cidr":["0.0.0.0/0"]}]`, []string{"selfhealing:ingress", `unknown field "cidr"`}},
		{"selfhealing:ingress", `[{"protocol":"tcp","cidrBlocks":["0.0.0.0/0"]}]`, []string{"selfhealing:ingress[0].fromPort: required", "selfhealing:ingress[0].toPort: required"}},
		{"selfhealing:ingress", `[{"protocol":"tcp","fromPort":443,"toPort":443,"cidrBlocks":["0.0.0.0"]}]`, []string{"ingress[0].cidrBlocks[0]", `"0.0.0.0"`}},
		{"selfhealing:ingress", `[{"protocol":"tcp","fromPort":"https","toPort":443,"cidrBlocks":["0.0.0.0/0"]}]`, []string{"selfhealing:ingress[0].fromPort: want a whole number"}},
		{"selfhealing:subnetIds", `"subnet-1"`, []string{"selfhealing:subnetIds", "want "}},
		{"selfhealing:instanceType", "huge", []string{"instanceType", `"huge"`}},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			requireRejected(t, cfg, map[string]string{tc.key: tc.value}, tc.want...)
		})
	}
}

func TestPortsWrittenAsStringsAreRead(t *testing.T) {
	monitor, err := runProgram(t, loadDev(t), map[string]string{
		"selfhealing:ingress": `[{"protocol":"tcp","fromPort":"8443","toPort":"8443","cidrBlocks":["10.0.0.0/8"]}]`,
	})
	if err != nil {
		t.Fatal(err)
	}
	rule := only(t, monitor, "aws:ec2/securityGroup:SecurityGroup")["ingress"].([]any)[0].(map[string]any)
	if rule["fromPort"] != 8443.0 || rule["toPort"] != 8443.0 {
		t.Errorf("ingress rule = %v, want port 8443", rule)
	}
}

// An empty subnet list is refused, as in Go; leaving the key out means the
// default VPC.
func TestEmptySubnetListIsRefused(t *testing.T) {
	requireRejected(t, loadDev(t), map[string]string{"selfhealing:subnetIds": "[]"}, "subnetIds: the list is empty", "leave it unset")
}

func TestProjectAndStackFilesLoadWithThePulumiLoaders(t *testing.T) {
	cfg := loadDev(t)
	if cfg.Project != "selfhealing" || cfg.Config["aws:region"] == "" {
		t.Errorf("loaded project %q, region %q", cfg.Project, cfg.Config["aws:region"])
	}

	dir := t.TempDir()
	project, err := os.ReadFile(filepath.Join(repoRoot, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, projectFile, stackFile, want string }{
		{"malformed project", string(project) + "\n  bad: [unclosed\n", "config: {}\n", "Pulumi.yaml"},
		{"unknown config type", strings.Replace(string(project), "type: integer", "type: int", 1), "config: {}\n", "int"},
		{"malformed stack", string(project), "config:\n  selfhealing:instanceType: [\n", "Pulumi.t.yaml"},
		{"wrong type in stack", string(project), "config:\n  selfhealing:metadataHopLimit: [1, 2]\n", "integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, filepath.Join(dir, "Pulumi.yaml"), tc.projectFile)
			writeFile(t, filepath.Join(dir, "Pulumi.t.yaml"), tc.stackFile)
			if _, err := stackconfig.Load(dir, "t"); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Load: err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
