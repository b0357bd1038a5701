package userdata_test

import (
	"strings"
	"testing"
)

// TestBootRunsAWSCLIv2WithNoEndpointOverride: the AWS CLI the boot script
// runs is v2, as Amazon Linux 2023 ships, and nothing in the script's
// environment points it at the emulators: it calls AWS's host names, and
// has no keys but what the metadata service serves. The user script, run
// by the boot script, records what it sees.
func TestBootRunsAWSCLIv2WithNoEndpointOverride(t *testing.T) {
	in := newInstance(t)
	p := in.params()
	p.UserScript = "aws --version >/var/lib/aws-version 2>&1\nenv >/var/lib/boot-env\ntouch /var/lib/user-script-ran"
	r := in.boot(p)
	in.wantHealed(r)
	if v := in.fs.ReadFile("/var/lib/aws-version"); !strings.HasPrefix(v, "aws-cli/2.") {
		t.Errorf("the boot script runs %q, want AWS CLI v2 (aws-cli/2.*)", v)
	}
	for _, kv := range strings.Split(in.fs.ReadFile("/var/lib/boot-env"), "\n") {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_ENDPOINT_URL") || name == "AWS_ACCESS_KEY_ID" || name == "AWS_SECRET_ACCESS_KEY" || name == "AWS_SESSION_TOKEN" {
			t.Errorf("the boot script's environment sets %s", kv)
		}
	}
	var credentials int
	for _, req := range in.metadata.Log() {
		if strings.HasPrefix(req.Path, "/latest/meta-data/iam/security-credentials/") {
			credentials++
		}
	}
	if credentials == 0 || in.api.Calls("AssociateAddress") != 1 {
		t.Errorf("credential reads %d, AssociateAddress calls %d; want the CLI to take credentials from the metadata service and reach the API", credentials, in.api.Calls("AssociateAddress"))
	}
}
