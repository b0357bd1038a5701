package heallab

import (
	"strings"
	"testing"
)

// TestTheSeedRunsAsPublished: the user data the seed baseline boots with is
// the article's script byte for byte, but for its three placeholders.
func TestTheSeedRunsAsPublished(t *testing.T) {
	const (
		alloc    = "eipalloc-0123456789abcdef0"
		region   = "eu-west-3"
		metadata = "http://127.0.0.1:41234"
	)
	rendered, err := SeedUserData(alloc, region, metadata)
	if err != nil {
		t.Fatal(err)
	}
	got := string(rendered)
	for _, value := range []string{alloc, region, metadata + "/latest/meta-data/instance-id"} {
		if !strings.Contains(got, value) {
			t.Errorf("the rendered seed does not contain %q:\n%s", value, got)
		}
	}
	// Put the placeholders back: what is left must be the published text.
	back := strings.NewReplacer(alloc, seedAllocationPlaceholder, region, seedRegionPlaceholder, metadata, seedMetadataAddress).Replace(got)
	if back != SeedPublished() {
		t.Errorf("the rendered seed differs from the published text in more than its placeholders:\nrendered:\n%s\npublished:\n%s", got, SeedPublished())
	}
}

// TestThePublishedSeedKeepsWhatTheArticlePrints pins what an earlier
// baseline dropped (issue 11): the article's shell options, which make the
// script stop at the first failing command and trace every command, and
// curl's 60 s bound.
func TestThePublishedSeedKeepsWhatTheArticlePrints(t *testing.T) {
	text := SeedPublished()
	if first, _, _ := strings.Cut(text, "\n"); first != "#!/bin/bash -ex" {
		t.Errorf("the published seed starts with %q, want the article's #!/bin/bash -ex", first)
	}
	for _, want := range []string{
		"INSTANCE_ID=$(curl -s -m 60 http://169.254.169.254/latest/meta-data/instance-id)\n",
		"aws ec2 associate-address --instance-id $INSTANCE_ID --allocation-id ${AllocationId} --region ${Region}\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the published seed lacks the line %q:\n%s", want, text)
		}
	}
	if n := strings.Count(text, "\n"); n != 3 {
		t.Errorf("the published seed has %d lines, want the article's 3:\n%s", n, text)
	}
}

func TestTheSeedNeedsEveryPlaceholderFilled(t *testing.T) {
	if _, err := SeedUserData("eipalloc-1", "", "http://127.0.0.1:1"); err == nil {
		t.Error("SeedUserData rendered without a region")
	}
}
