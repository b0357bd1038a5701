package userdata_test

import (
	"encoding/base64"
	"math/rand/v2"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

// hostile values that must come out of their quoting exactly as they went in.
var hostile = []string{
	"",
	"plain",
	"'; rm -rf / #",
	"$(id)",
	"`id`",
	"${HOME}",
	`\'`,
	"'\\''",
	"\"; touch /tmp/pwned; \"",
	"line one\nline two\n",
	"'''",
	"!!",
	"#!/bin/sh\necho \"$@\" > /dev/null\n",
	"EOF\n'EOF'\nSCRIPT\n",
	"\t\r\x01\x7f\u00e9\u2028",
}

// bashEcho runs a bash script and returns what it printed.
func bashEcho(t *testing.T, script string) string {
	t.Helper()
	out, err := exec.Command("bash", "-c", script).Output()
	if err != nil {
		t.Fatalf("bash failed: %v\n%s", err, script)
	}
	return string(out)
}

func TestShellQuoteRoundTrips(t *testing.T) {
	emulator.RequireTool(t, "bash", "apt-get install bash")
	for _, value := range hostile {
		if got := bashEcho(t, "printf '%s' "+userdata.ShellQuote(value)); got != value {
			t.Errorf("ShellQuote(%q) came back from bash as %q", value, got)
		}
	}
}

// templatedValues renders the boot script and runs only its head, up to
// the line after the templated assignments, then prints what bash holds.
func templatedValues(t *testing.T, p userdata.Params) (allocationID, userScript string) {
	t.Helper()
	values := templatedVariables(t, p, "allocation_id", "user_script")
	return values[0], values[1]
}

// volumeVariables are the script's variables for DataVolumeParams' fields,
// in the order of the fields.
var volumeVariables = []string{"volume_id", "volume_device_name", "mount_path", "fs_type", "volume_wait_seconds", "force_detach"}

// templatedVariables renders the boot script, runs its head, up to the
// line after the templated assignments, and returns what bash holds in
// each of names.
func templatedVariables(t *testing.T, p userdata.Params, names ...string) []string {
	t.Helper()
	script, err := userdata.Render(p)
	if err != nil {
		t.Fatalf("Render(%+v): %v", p, err)
	}
	const marker = "imds_endpoint="
	head, _, found := strings.Cut(script, marker)
	if !found {
		t.Fatalf("the rendered script lost its marker %q", marker)
	}
	var printf strings.Builder
	printf.WriteString("\nprintf '%s\\0'")
	for _, name := range names {
		printf.WriteString(` "$` + name + `"`)
	}
	out := bashEcho(t, head+printf.String()+"\n")
	values := strings.Split(out, "\x00")
	if len(values) != len(names)+1 {
		t.Fatalf("bash printed %d values for %d variables: %q", len(values)-1, len(names), out)
	}
	return values[:len(names)]
}

func TestTemplatedValuesCannotEscapeTheirQuoting(t *testing.T) {
	emulator.RequireTool(t, "bash", "apt-get install bash")
	for _, value := range hostile {
		gotID, gotScript := templatedValues(t, userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: value})
		if gotID != "eipalloc-0123456789abcdef0" || gotScript != value {
			t.Errorf("user script %q became %q (allocation %q)", value, gotScript, gotID)
		}
	}
}

func FuzzUserScriptStaysQuoted(f *testing.F) {
	for _, value := range hostile {
		f.Add(value)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if strings.ContainsRune(value, 0) {
			if _, err := userdata.Render(userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: value}); err == nil {
				t.Fatal("a NUL byte was accepted; bash would cut the script there")
			}
			return
		}
		if len(value) > 4096 {
			return
		}
		if _, got := templatedValues(t, userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: value}); got != value {
			t.Errorf("user script %q became %q", value, got)
		}
	})
}

// goodVolume is a valid data volume, with the longest values the fields allow.
func goodVolume() *userdata.DataVolumeParams {
	return &userdata.DataVolumeParams{
		VolumeID:    "vol-0123456789abcdef0",
		DeviceName:  "/dev/xvdp",
		MountPath:   "/srv/" + strings.Repeat("d", 250),
		FSType:      "xfs",
		WaitSeconds: userdata.MaxVolumeWaitSeconds,
		ForceDetach: true,
		MayFormat:   true,
	}
}

// withVolume returns p with a data volume changed by change.
func withVolume(change func(v *userdata.DataVolumeParams)) userdata.Params {
	v := goodVolume()
	change(v)
	return userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", DataVolume: v}
}

func TestRenderRefusesBadParams(t *testing.T) {
	for _, tc := range []struct {
		params userdata.Params
		want   string
	}{
		{userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0'; id; '"}, "allocationId"},
		{userdata.Params{GroupName: "proj-dev-web", AllocationID: ""}, "allocationId"},
		{userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: "a\x00b"}, "NUL"},
		{userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: incompressible(userdata.MaxBytes)}, "16384-byte"},
		{userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: incompressible(userdata.MaxBytes)}, "userScript: the boot script is"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.VolumeID = "vol-0123'; id; '" }), `dataVolume.volumeId "vol-0123'; id; '": want an EBS volume id`},
		{withVolume(func(v *userdata.DataVolumeParams) { v.VolumeID = "vol-0123456789abcdef" }), "dataVolume.volumeId"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.VolumeID = "" }), "dataVolume.volumeId"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.DeviceName = "/dev/sda1" }), "dataVolume.deviceName \"/dev/sda1\": want one of /dev/sdf to /dev/sdp"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.DeviceName = "/dev/sdq" }), "dataVolume.deviceName"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.DeviceName = "/dev/nvme1n1" }), "dataVolume.deviceName"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.MountPath = "data" }), "dataVolume.mountPath \"data\": want an absolute path"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.MountPath = "/" }), "dataVolume.mountPath"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.MountPath = "/data/" }), "without a trailing slash"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.MountPath = "/my data" }), "dataVolume.mountPath"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.MountPath = "/data/../etc" }), "without . or .. components"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.MountPath = "/home/ec2-user" }), "a system directory"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.MountPath = "/var/lib" }), "in /var, which belongs to the system"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.MountPath = "/tmp/data" }), "in /tmp, which belongs to the system"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.MountPath = "/etc/app" }), "in /etc, which belongs to the system"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.MountPath = "/var/lib/selfhealing" }), "in /var, which belongs"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.MountPath = "/" + strings.Repeat("d", 255) }), "longer than 255 bytes"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.FSType = "btrfs" }), `dataVolume.fsType "btrfs": want ext4 or xfs`},
		{withVolume(func(v *userdata.DataVolumeParams) { v.WaitSeconds = 0 }), "dataVolume.waitSeconds 0: want 30 to 3600 seconds"},
		{withVolume(func(v *userdata.DataVolumeParams) { v.WaitSeconds = 3601 }), "dataVolume.waitSeconds 3601"},
	} {
		if _, err := userdata.Render(tc.params); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Render(%.80v): err = %v, want one mentioning %q", tc.params, err, tc.want)
		}
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	p := userdata.Params{
		GroupName:    "proj-dev-web",
		AllocationID: "eip",
		UserScript:   "\x00",
		DataVolume:   &userdata.DataVolumeParams{VolumeID: "v", DeviceName: "d", MountPath: "m", FSType: "f"},
	}
	err := p.Validate()
	if err == nil {
		t.Fatal("Validate accepted nothing but bad values")
	}
	for _, field := range []string{"allocationId", "userScript", "dataVolume.volumeId", "dataVolume.deviceName", "dataVolume.mountPath", "dataVolume.fsType", "dataVolume.waitSeconds"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("the error does not name %s:\n%v", field, err)
		}
	}
	if err := (userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-12345678", DataVolume: goodVolume()}).Validate(); err != nil {
		t.Errorf("a good data volume was refused: %v", err)
	}
}

// volumeCombinations are a data volume's options: none, and each file
// system, device spelling and force-detach setting.
func volumeCombinations() []*userdata.DataVolumeParams {
	return []*userdata.DataVolumeParams{
		nil,
		{VolumeID: "vol-12345678", DeviceName: "/dev/sdf", MountPath: "/data", FSType: "ext4", WaitSeconds: 300},
		goodVolume(),
	}
}

// paramCombinations covers every option the script has: the shortest and
// longest allocation ids, each kind of user script, and data volumes.
func paramCombinations() []userdata.Params {
	var out []userdata.Params
	for _, id := range []string{"eipalloc-12345678", "eipalloc-0123456789abcdef0"} {
		for _, script := range []string{"", "systemctl start app", "#!/usr/bin/env python3\nprint('hi')\n", hostile[3] + hostile[9]} {
			for _, volume := range volumeCombinations() {
				out = append(out, userdata.Params{GroupName: "proj-dev-web", AllocationID: id, UserScript: script, DataVolume: volume})
			}
		}
	}
	// The persistent network interface, alone and after a data volume.
	for _, volume := range volumeCombinations()[:2] {
		out = append(out, userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", DataVolume: volume, NetworkInterface: goodInterface()})
	}
	return append(out, sectionCombinations()...)
}

func TestRenderedScriptPassesBashAndShellcheck(t *testing.T) {
	emulator.RequireTool(t, "bash", "apt-get install bash")
	emulator.RequireTool(t, "shellcheck", "apt-get install shellcheck")
	for _, p := range paramCombinations() {
		script, err := userdata.Render(p)
		if err != nil {
			t.Fatalf("Render(%+v): %v", p, err)
		}
		if out, err := run("bash", script, "-n"); err != nil {
			t.Errorf("bash -n rejects the script for %+v: %v\n%s", p, err, out)
		}
		// Every severity down to style, plus the optional checks that
		// catch a missing default case and unquoted-looking variables.
		if out, err := run("shellcheck", script, "-s", "bash", "-S", "style", "-o", "add-default-case,quote-safe-variables,require-double-brackets", "-"); err != nil {
			t.Errorf("shellcheck for %+v (volume %+v): %v\n%s", p, p.DataVolume, err, out)
		}
	}
}

func run(name, stdin string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// maxBootScriptBytes keeps room under EC2's 16 KB limit for users'
// scripts: a change that grows the compressed boot script, with a data
// volume (and its hand-over), past it fails here, not on EC2. Users then
// get at least 6.5 KB of compressed script, some 18 KB of typical shell.
const maxBootScriptBytes = 9*1024 + 512

// incompressible returns n bytes of printable text that gzip cannot shrink
// much, the worst case for the room a user script has, the same each time.
func incompressible(n int) string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('!' + r.IntN('~'-'!'+1))
	}
	return string(b)
}

// compressedLen returns the length of the raw user data EC2 gets for p.
func compressedLen(t *testing.T, p userdata.Params) int {
	t.Helper()
	encoded, err := userdata.Encode(p)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		t.Fatal(err)
	}
	return len(raw)
}

func TestBootScriptLeavesRoomForUserScripts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		volume *userdata.DataVolumeParams
	}{{"without a data volume", nil}, {"with a data volume", goodVolume()}} {
		t.Run(tc.name, func(t *testing.T) {
			p := userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", DataVolume: tc.volume}
			plain, err := userdata.Render(p)
			if err != nil {
				t.Fatal(err)
			}
			size := compressedLen(t, p)
			t.Logf("REPORT boot script %s: %d bytes plain, %d bytes gzip-compressed; %d of EC2's %d bytes left for the user script",
				tc.name, len(plain), size, userdata.MaxBytes-size, userdata.MaxBytes)
			if size > maxBootScriptBytes {
				t.Errorf("the boot script alone compresses to %d bytes; keep it under %d so user scripts get at least %d of EC2's %d",
					size, maxBootScriptBytes, userdata.MaxBytes-maxBootScriptBytes, userdata.MaxBytes)
			}
			// The largest incompressible user script that Encode accepts
			// fits; past it, Encode refuses with the field named.
			fits := sort.Search(2*userdata.MaxBytes, func(n int) bool {
				p.UserScript = incompressible(n + 1)
				_, err := userdata.Encode(p)
				return err != nil
			})
			p.UserScript = incompressible(fits)
			if got := compressedLen(t, p); got > userdata.MaxBytes || got < userdata.MaxBytes-64 {
				t.Errorf("the largest accepted user script (%d bytes) makes %d bytes of user data; want at most %d and close to it", fits, got, userdata.MaxBytes)
			}
			t.Logf("REPORT %s: an incompressible user script of up to %d bytes fits", tc.name, fits)
			p.UserScript = incompressible(fits + 64)
			if _, err := userdata.Encode(p); err == nil || !strings.Contains(err.Error(), "userScript") || !strings.Contains(err.Error(), "16384-byte") {
				t.Errorf("a %d-byte incompressible user script: err = %v, want one naming userScript and the limit", fits+64, err)
			}
			if _, err := userdata.Render(p); err == nil {
				t.Error("Render accepted what Encode refuses")
			}
		})
	}
}

func TestScriptDefaultsToTheLinkLocalMetadataService(t *testing.T) {
	script, err := userdata.Render(userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0"})
	if err != nil {
		t.Fatal(err)
	}
	want := `imds_endpoint="${` + userdata.IMDSEndpointEnv + `:-` + userdata.DefaultIMDSEndpoint + `}"`
	if !strings.Contains(script, want) || userdata.DefaultIMDSEndpoint != "http://169.254.169.254" {
		t.Errorf("the script does not default the metadata endpoint with %s", want)
	}
	// SELFHEALING_PUBLIC_IP is what the script gives the user script, not
	// a variable it reads.
	reads := func(script string) int {
		return strings.Count(script, "SELFHEALING_") - strings.Count(script, "SELFHEALING_PUBLIC_IP=")
	}
	if n := reads(script); n != 1 {
		t.Errorf("the script reads %d SELFHEALING_ variables, want exactly the one documented test override", n)
	}
	withVolume, err := userdata.Render(userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", DataVolume: goodVolume()})
	if err != nil {
		t.Fatal(err)
	}
	want = `dev_dir="${` + userdata.DevDirEnv + `:-` + userdata.DefaultDevDir + `}"`
	if !strings.Contains(withVolume, want) || userdata.DefaultDevDir != "/dev" {
		t.Errorf("the script does not default the device directory with %s", want)
	}
	if n := reads(withVolume); n != 2 {
		t.Errorf("with a data volume the script reads %d SELFHEALING_ variables, want the two documented test overrides", n)
	}
}

func TestDataVolumeValuesCannotEscapeTheirQuoting(t *testing.T) {
	emulator.RequireTool(t, "bash", "apt-get install bash")
	for _, v := range volumeCombinations()[1:] {
		got := templatedVariables(t, userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: hostile[2], DataVolume: v}, volumeVariables...)
		want := []string{v.VolumeID, v.DeviceName, v.MountPath, v.FSType, strconv.Itoa(v.WaitSeconds), strconv.FormatBool(v.ForceDetach)}
		if !slices.Equal(got, want) {
			t.Errorf("bash holds %q, want %q", got, want)
		}
	}
}

// FuzzDataVolumeStaysQuoted feeds hostile values to every string field of
// the data volume: each is either refused, naming its field, or reaches
// bash exactly as given.
func FuzzDataVolumeStaysQuoted(f *testing.F) {
	for _, value := range hostile {
		f.Add(value, 0)
	}
	f.Add("/data", 2)
	f.Add("vol-0123456789abcdef0", 0)
	f.Fuzz(func(t *testing.T, value string, field int) {
		fields := []string{"volumeId", "deviceName", "mountPath", "fsType"}
		field = (field%len(fields) + len(fields)) % len(fields)
		v := goodVolume()
		target := []*string{&v.VolumeID, &v.DeviceName, &v.MountPath, &v.FSType}[field]
		*target = value
		p := userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", DataVolume: v}
		if err := p.Validate(); err != nil {
			if !strings.Contains(err.Error(), "dataVolume."+fields[field]) {
				t.Errorf("%s %q refused without naming the field: %v", fields[field], value, err)
			}
			return
		}
		if got := templatedVariables(t, p, volumeVariables[field])[0]; got != value {
			t.Errorf("%s %q became %q", fields[field], value, got)
		}
	})
}
