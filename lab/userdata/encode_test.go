package userdata_test

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"os/exec"
	"strings"
	"testing"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
	"github.com/selfhealing-dev/selfhealing/userdata"
)

func TestEncodeIsGzipOfTheRenderedScript(t *testing.T) {
	emulator.RequireTool(t, "gzip", "apt-get install gzip")
	for _, p := range paramCombinations() {
		script, err := userdata.Render(p)
		if err != nil {
			t.Fatal(err)
		}
		encoded, err := userdata.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			t.Fatalf("Encode's output is not base64: %v", err)
		}
		// What cloud-init does with it, by another implementation of gzip.
		cmd := exec.Command("gzip", "-dc")
		cmd.Stdin = bytes.NewReader(raw)
		plain, err := cmd.Output()
		if err != nil {
			t.Fatalf("gzip -dc rejects the user data: %v", err)
		}
		if string(plain) != script {
			t.Errorf("the user data decompresses to something other than Render's script for %+v", p)
		}
		if again, _ := userdata.Encode(p); again != encoded {
			t.Error("Encode is not deterministic; every deployment would make a new launch template version")
		}
		if len(raw) >= len(script)/2 {
			t.Errorf("compressed %d bytes to %d; gzip should do far better on a script", len(script), len(raw))
		}
	}
}

func TestDecodeReadsWhatEncodeAndOtherToolsWrite(t *testing.T) {
	p := userdata.Params{GroupName: "proj-dev-web", AllocationID: "eipalloc-0123456789abcdef0", UserScript: "echo hi", DataVolume: goodVolume()}
	script, _ := userdata.Render(p)
	encoded, err := userdata.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := userdata.Decode(encoded); err != nil || got != script {
		t.Errorf("Decode(Encode(p)) = %.40q, %v; want Render(p)", got, err)
	}
	plain := "#!/bin/bash\necho plain\n"
	if got, err := userdata.Decode(base64.StdEncoding.EncodeToString([]byte(plain))); err != nil || got != plain {
		t.Errorf("Decode(plain) = %q, %v", got, err)
	}
	if got, err := userdata.Decode(""); err != nil || got != "" {
		t.Errorf("Decode(\"\") = %q, %v", got, err)
	}
}

func TestDecodeRefusesBrokenUserData(t *testing.T) {
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(b)
		_ = zw.Close()
		return buf.Bytes()
	}
	good := gz([]byte("#!/bin/bash\necho hi\n"))
	corrupt := append([]byte{}, good...)
	corrupt[len(corrupt)-5] ^= 0xff // the CRC
	for _, tc := range []struct {
		name, b64, want string
	}{
		{"not base64", "%%%", "not base64"},
		{"truncated gzip", base64.StdEncoding.EncodeToString(good[:len(good)-6]), "decompressing"},
		{"bad checksum", base64.StdEncoding.EncodeToString(corrupt), "decompressing"},
		{"bad header", base64.StdEncoding.EncodeToString([]byte{0x1f, 0x8b, 0, 0}), "gzip"},
		{"bomb", base64.StdEncoding.EncodeToString(gz(make([]byte, 2<<20))), "more than 1048576 bytes"},
	} {
		if _, err := userdata.Decode(tc.b64); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}
