package userdata

import (
	"embed"
	"strings"
)

// shFiles are the boot script's static files: plain bash, functions and
// settings in all but main.sh, which calls them. They are checked as
// files, by bash -n and shellcheck, and read without Go.
//
//go:embed sh/*.sh
var shFiles embed.FS

// scriptFiles returns the files of the boot script for p, in order: those
// of the features that are on, between common.sh, which every other file
// uses, and main.sh, the control flow. A feature's file is left out when
// the feature is off, so that what a stack does not use takes nothing of
// EC2's user-data limit; main.sh calls a feature's functions only when its
// header flag is 1.
func scriptFiles(p Params) []string {
	files := []string{"common.sh"}
	add := func(on bool, name string) {
		if on {
			files = append(files, name)
		}
	}
	add(p.LaunchGate != nil, "gate.sh")
	files = append(files, "failure_report.sh", "install.sh")
	add(p.HealthCheck != nil, "health.sh")
	add(p.DataVolume != nil, "volume.sh")
	add(p.NetworkInterface != nil, "eni.sh")
	add(p.Handover != nil, "handover.sh")
	agent := p.Logs != nil || p.AgentMetrics != nil
	add(agent || p.HTTPS != nil, "packages.sh")
	add(agent, "logs.sh")
	add(p.HTTPS != nil, "https.sh")
	add(p.Parameters != nil, "parameters.sh")
	add(p.WarmWatch, "warmwatch.sh")
	return append(files, "main.sh")
}

// assemble returns the boot script for p: its generated header, then its
// static files compacted (see compact), with the "# shellcheck shell=bash"
// line each starts with left empty, for the header's "#!" line stands for
// it.
func assemble(p Params) string {
	var b strings.Builder
	b.WriteString(header(p))
	for _, name := range scriptFiles(p) {
		body := strings.TrimPrefix(shFile(name), "# shellcheck shell=bash\n")
		b.WriteString(compact("\n" + body))
	}
	return b.String()
}

// shFile returns the static file sh/name.
func shFile(name string) string {
	text, err := shFiles.ReadFile("sh/" + name)
	if err != nil {
		panic(err) // embedded: cannot happen
	}
	return string(text)
}
