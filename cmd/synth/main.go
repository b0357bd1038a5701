// Command synth shows what `pulumi up` would create for a stack, without an
// AWS account or the Pulumi CLI: it runs the real program under Pulumi's
// mock monitor with the stack's real configuration.
//
//	go run ./cmd/synth --stack dev          # resource tree, readable
//	go run ./cmd/synth --stack dev --json   # one JSON object
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/selfhealing-dev/selfhealing/internal/synth"
)

func main() {
	stack := flag.String("stack", "dev", "stack whose Pulumi.<stack>.yaml to use")
	dir := flag.String("dir", ".", "directory holding Pulumi.yaml")
	asJSON := flag.Bool("json", false, "print one JSON object instead of the readable tree")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "synth: unexpected arguments %q\n", flag.Args())
		flag.Usage()
		os.Exit(2)
	}

	report, err := synth.Run(*dir, *stack)
	if err != nil {
		fmt.Fprintf(os.Stderr, "synth: %v\n", err)
		os.Exit(1)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	} else {
		err = synth.WriteText(os.Stdout, report)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "synth: %v\n", err)
		os.Exit(1)
	}
}
