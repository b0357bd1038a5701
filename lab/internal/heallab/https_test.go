package heallab

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestHTTPSFiguresRoundTripIntoTheSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "https.json")
	in := HTTPSFigures{FirstBootMS: 5400, FirstCertificateMS: 2100, HealMS: []int64{900, 1200, 1000}, Orders: 1, SameCertificate: true, Date: "2026-11-30"}
	if err := WriteHTTPSFigures(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadHTTPSFigures(path)
	if err != nil {
		t.Fatal(err)
	}
	section := HTTPSSection(out)
	for _, want := range []string{
		"| time to first certificate (log line `obtaining a certificate` to `HTTPS: …`, nginx serving it) | 2100 ms |",
		"| first boot with a new certificate, whole script | 5400 ms |",
		"| orders made at the CA (first boot and 3 heals) | 1 |",
		"3 in a row | 900 to 1200 ms: 900 ms, 1200 ms, 1000 ms |",
		"run on 2026-11-30",
		"the same certificate (serial) as the first instance",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("the section lacks %q:\n%s", want, section)
		}
	}
}

func TestHTTPSFiguresWithAMissingFigureAreRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "https.json")
	if err := WriteHTTPSFigures(path, HTTPSFigures{FirstBootMS: 5400, Orders: 1, Date: "2026-11-30"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadHTTPSFigures(path); err == nil {
		t.Error("figures without the first certificate's time or any heal were accepted")
	}
}
