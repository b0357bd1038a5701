package emulator

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// APIChain is the way an instance's AWS API requests take to moto, as the
// lab and the boot-script tests build it: a [FaultProxy] that tests inject
// faults into and count calls on, then an [AutoScalingModel] (the
// lifecycle and health calls moto lacks), then an [EBSModel] (what EBS
// refuses or delays and moto allows), then moto. Instances call API.URL.
// Start one with [StartAPIChain] or [StartAPIChainE].
type APIChain struct {
	// API is the fault proxy in front of everything.
	API *FaultProxy
	// AutoScaling is the Auto Scaling model behind API.
	AutoScaling *AutoScalingModel
	// EBS is the EBS model behind AutoScaling, in front of moto.
	EBS *EBSModel
}

// StartAPIChain starts an [APIChain] like [StartAPIChainE] and registers
// a t.Cleanup that closes it.
func StartAPIChain(t testing.TB, motoURL string, cfg aws.Config, opts AutoScalingModelOptions) *APIChain {
	t.Helper()
	c, err := StartAPIChainE(motoURL, cfg, opts)
	if err != nil {
		t.Fatalf("StartAPIChain: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// StartAPIChainE starts the chain in front of moto at motoURL; the models
// ask moto what they need with cfg (usually [Moto.AWSConfig], or an
// administrator's configuration when moto enforces IAM), and opts
// configure the Auto Scaling model. The caller must Close it.
func StartAPIChainE(motoURL string, cfg aws.Config, opts AutoScalingModelOptions) (*APIChain, error) {
	c := &APIChain{}
	var err error
	if c.EBS, err = StartEBSModelE(motoURL, cfg); err != nil {
		return nil, fmt.Errorf("starting the EBS model: %w", err)
	}
	if c.AutoScaling, err = StartAutoScalingModelE(c.EBS.URL, cfg, opts); err != nil {
		c.Close()
		return nil, fmt.Errorf("starting the Auto Scaling model: %w", err)
	}
	if c.API, err = NewFaultProxyE(c.AutoScaling.URL); err != nil {
		c.Close()
		return nil, fmt.Errorf("starting the API fault proxy: %w", err)
	}
	return c, nil
}

// Close stops what the chain started, the fault proxy first, and waits for
// the requests in flight.
func (c *APIChain) Close() {
	if c.API != nil {
		c.API.Close()
	}
	if c.AutoScaling != nil {
		c.AutoScaling.Close()
	}
	if c.EBS != nil {
		c.EBS.Close()
	}
}
