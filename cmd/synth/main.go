// Command synth shows what `pulumi up` would create for a stack, without an
// AWS account or the Pulumi CLI: it runs the real program as a preview under
// Pulumi's mock monitor with the stack's real configuration. What only a
// deployment knows (ids, the Elastic IP's address) prints as [unknown].
//
//	go run ./cmd/synth --stack dev            # summary, then the resource tree
//	go run ./cmd/synth --stack dev --script   # the same, with the whole boot script
//	go run ./cmd/synth --stack dev --json     # one JSON object, everything in it
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
	asJSON := flags.Bool("json", false, "print one JSON object, the whole boot script and every option in it, instead of the readable tree")
	script := flags.Bool("script", false, "print the whole boot script, not only its generated header")
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
		err = synth.WriteText(stdout, report, synth.TextOptions{Script: *script})
	}
	if err != nil {
		fmt.Fprintf(stderr, "synth: %v\n", err)
		return 1
	}
	return 0
}
