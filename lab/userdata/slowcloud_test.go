package userdata_test

import (
	"strings"
	"testing"
	"time"
)

// These tests run the boot script against endpoints that answer slowly or
// not at all. Each wait of the script is bounded in time; hangBound only
// catches a script that is not, and nothing here asserts how long a boot
// took.

// TestBootGivesUpOnASilentEndpointWithinItsTimeBound: an endpoint that
// accepts the connection and never answers. Each call ends at the CLI's
// read timeout, and the step ends, with a failure that says so, once
// another try could not end within its time bound: long before the
// attempts run out, and long before hangBound.
func TestBootGivesUpOnASilentEndpointWithinItsTimeBound(t *testing.T) {
	in := newInstance(t)
	in.api.DelayFirstRequests(1000, time.Hour)
	r := in.boot(in.params())
	in.wantFailedAtTheAddress(r, "associating Elastic IP", "associate-address: gave up after", "could not end within 180s", "Read timeout")
	if n := in.api.Calls("AssociateAddress"); n == 0 || n >= 10 {
		t.Errorf("AssociateAddress tried %d times; want fewer than the 10 attempts, the time bound ending them", n)
	}
}

// TestBootWaitsForASlowMetadataService: a metadata service that takes 6 s
// for every answer, just over the first time limit of a metadata request.
// The AWS CLI, which takes its credentials from it at every call, must be
// given the longer limit too, or it never finds them.
func TestBootWaitsForASlowMetadataService(t *testing.T) {
	in := newInstance(t)
	in.metadata.DelayFirstRequests(1000, 6*time.Second)
	r := in.boot(in.params())
	in.wantHealed(r)
	if !strings.Contains(r.Log, "metadata service: no answer in time; waiting up to 10s from now on") {
		t.Errorf("the log does not show the metadata service given more time:\n%s", r.Log)
	}
}

// TestBootGetsCredentialsFromASlowMetadataService: the AWS CLI takes its
// credentials from the metadata service, as on EC2, and every answer takes
// 2 s, twice the CLI's own default timeout.
func TestBootGetsCredentialsFromASlowMetadataService(t *testing.T) {
	in := newInstance(t)
	in.metadata.DelayFirstRequests(1000, 2*time.Second)
	r := in.boot(in.params())
	in.wantHealed(r)
	var credentials int
	for _, req := range in.metadata.Log() {
		if strings.HasPrefix(req.Path, "/latest/meta-data/iam/security-credentials/") {
			credentials++
		}
	}
	if credentials == 0 {
		t.Errorf("the AWS CLI never asked the metadata service for credentials")
	}
}
