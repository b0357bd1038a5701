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
	"io"
	"os"

	"github.com/selfhealing-dev/selfhealing/internal/synth"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command, apart from the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("synth", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stack := flags.String("stack", "dev", "stack whose Pulumi.<stack>.yaml to use")
	dir := flags.String("dir", ".", "directory holding Pulumi.yaml")
	asJSON := flags.Bool("json", false, "print one JSON object instead of the readable tree")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "synth: unexpected arguments %q\n", flags.Args())
		flags.Usage()
		return 2
	}

	report, err := synth.Run(*dir, *stack)
	if err != nil {
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	} else {
		err = synth.WriteText(stdout, report)
	}
	if err != nil {
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return 1
	}
	return 0
}
