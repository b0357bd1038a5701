package heallab

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// HTTPSFiguresEnv names the file userdata's HTTPS end-to-end test
// (TestHTTPSCertificateIsIssuedOnceAndOutlivesTheInstance) writes its
// figures to, as JSON, when it passes; `make heal-report` sets it and hands
// the file to the heal report.
const HTTPSFiguresEnv = "HTTPS_REPORT"

// HTTPSFigures are what one run of the HTTPS end-to-end test measured: the
// real certbot and nginx against pebble, on a data volume, in the lab.
type HTTPSFigures struct {
	// FirstBootMS is the first instance's whole boot, from the script's
	// start to its end, ready, with a new certificate.
	FirstBootMS int64 `json:"first_boot_ms"`
	// FirstCertificateMS is the part of that boot from the log line
	// "obtaining a certificate" to the line "HTTPS: ...", which the script
	// writes once nginx serves the certificate.
	FirstCertificateMS int64 `json:"first_certificate_ms"`
	// HealMS are the whole boots of the replacements, one after the other,
	// each after the previous instance died, each serving the certificate
	// it found on the data volume.
	HealMS []int64 `json:"heal_ms"`
	// Orders is how many orders pebble saw in the whole run: the first
	// boot's and any heal's.
	Orders int `json:"orders"`
	// SameCertificate is true if every replacement served the first
	// instance's certificate (same serial).
	SameCertificate bool `json:"same_certificate"`
	// Date is the run's day, UTC, as 2006-01-02.
	Date string `json:"date"`
}

// WriteHTTPSFigures writes f to path as JSON.
func WriteHTTPSFigures(path string, f HTTPSFigures) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadHTTPSFigures reads what WriteHTTPSFigures wrote, and refuses a file
// that lacks a figure.
func ReadHTTPSFigures(path string) (HTTPSFigures, error) {
	var f HTTPSFigures
	b, err := os.ReadFile(path)
	if err != nil {
		return f, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	if f.FirstBootMS <= 0 || f.FirstCertificateMS <= 0 || len(f.HealMS) == 0 || f.Orders <= 0 || f.Date == "" {
		return f, fmt.Errorf("%s: a figure is missing: %+v", path, f)
	}
	return f, nil
}

// HTTPSSection is the heal report's HTTPS section, from f.
func HTTPSSection(f HTTPSFigures) string {
	var b strings.Builder
	heals := make([]string, len(f.HealMS))
	var lo, hi int64 = -1, -1
	for i, ms := range f.HealMS {
		heals[i] = fmt.Sprintf("%d ms", ms)
		if lo < 0 || ms < lo {
			lo = ms
		}
		if ms > hi {
			hi = ms
		}
	}
	same := "the same certificate (serial) as the first instance"
	if !f.SameCertificate {
		same = "**not** always the first instance's certificate"
	}
	fmt.Fprintf(&b, "## HTTPS\n\n")
	fmt.Fprintf(&b, "From one run on %s of userdata's `TestHTTPSCertificateIsIssuedOnceAndOutlivesTheInstance` (also `make demo-https`): "+
		"the boot script with a data volume and the HTTPS option, the real certbot and nginx, pebble as the ACME CA, moto as AWS. "+
		"The same caveat: a shared machine and emulators, so compare, don't quote.\n\n", f.Date)
	b.WriteString("| figure | measured |\n|---|---|\n")
	fmt.Fprintf(&b, "| time to first certificate (log line `obtaining a certificate` to `HTTPS: …`, nginx serving it) | %d ms |\n", f.FirstCertificateMS)
	fmt.Fprintf(&b, "| first boot with a new certificate, whole script | %d ms |\n", f.FirstBootMS)
	fmt.Fprintf(&b, "| orders made at the CA (first boot and %d heals) | %d |\n", len(f.HealMS), f.Orders)
	fmt.Fprintf(&b, "| heal with HTTPS (a replacement's whole boot until it serves the stored certificate), %d in a row | %d to %d ms: %s |\n",
		len(f.HealMS), lo, hi, strings.Join(heals, ", "))
	fmt.Fprintf(&b, "\nEvery replacement served %s.\n", same)
	return b.String()
}
