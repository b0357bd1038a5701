package heallab

import (
	_ "embed"
	"fmt"
	"strings"
)

// The seed article is Guille Ojeda's "Self-healing, Single-instance
// Environment with AWS EC2" (Simple AWS, issue #17, 22 February 2023;
// https://newsletter.simpleaws.dev/p/amazon-ec2-self-healing-instance).
// Its Step 3 puts a three-line script in the launch template's user data:
// an IMDSv1 read of the instance id, then one associate-address.
//
// seed-userdata.published.sh is that script as published, and the seed
// baseline runs it byte for byte, with only its three placeholders filled
// (SeedUserData): the allocation id and the region, which the article asks
// the reader to replace, and the metadata address, which on EC2 is
// http://169.254.169.254 and in the lab is the instance's metadata mock.
//
// Where the text comes from: this repository's first baseline
// (e283ccf, internal/heallab/seed-userdata.sh.tmpl) copied the script's two
// commands but dropped the article's "#!/bin/bash -ex" and curl's "-m 60"
// (issue 11 names both); the published file restores them. The placeholders
// are written as the article writes the ones of its Step 2 policy
// (${Region}, ${AllocationId}). The article's page could not be read from
// the machine this was written on, so these bytes were not compared with it
// there; compare them with the page before relying on anything but the
// commands, the shell options and curl's flags.
//
//go:embed seed-userdata.published.sh
var seedPublished string

// The published script's placeholders.
const (
	seedAllocationPlaceholder = "${AllocationId}"
	seedRegionPlaceholder     = "${Region}"
	seedMetadataAddress       = "http://169.254.169.254"
)

// SeedPublished is the seed article's user data as published.
func SeedPublished() string { return seedPublished }

// SeedUserData returns the seed article's user data with its three
// placeholders filled, and nothing else changed.
func SeedUserData(allocationID, region, metadataURL string) ([]byte, error) {
	if allocationID == "" || region == "" || metadataURL == "" {
		return nil, fmt.Errorf("the seed's user data needs an allocation id, a region and a metadata address; got %q, %q, %q", allocationID, region, metadataURL)
	}
	text := seedPublished
	for _, p := range []struct{ placeholder, value string }{
		{seedAllocationPlaceholder, allocationID},
		{seedRegionPlaceholder, region},
		{seedMetadataAddress, strings.TrimSuffix(metadataURL, "/")},
	} {
		if !strings.Contains(text, p.placeholder) {
			return nil, fmt.Errorf("the seed's published user data has no %s", p.placeholder)
		}
		text = strings.ReplaceAll(text, p.placeholder, p.value)
	}
	return []byte(text), nil
}
