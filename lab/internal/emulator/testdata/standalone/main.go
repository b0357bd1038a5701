// Command standalone uses the emulator's error-returning API outside any test, as
// cmd/demo does: it starts moto, the metadata mock and a fault proxy, uses
// them, prints their URLs as JSON on stdout and closes them.
//
// With -crash it exits with status 3 right after printing, without closing
// anything, to show that the servers do not outlive a crashed caller.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/selfhealing-dev/selfhealing/lab/internal/emulator"
)

// urls is what the program prints.
type urls struct {
	Moto, IMDS, Proxy string
	Calls             int
}

func main() {
	crash := flag.Bool("crash", false, "exit without closing anything")
	flag.Parse()
	if err := run(*crash); err != nil {
		fmt.Fprintln(os.Stderr, "standalone:", err)
		os.Exit(1)
	}
}

func run(crash bool) (err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	moto, err := emulator.StartMotoE(emulator.MotoOptions{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, moto.Close()) }()
	imds, err := emulator.StartIMDSE(emulator.IMDSOptions{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, imds.Close()) }()
	proxy, err := emulator.NewFaultProxyE(moto.URL)
	if err != nil {
		return err
	}
	defer proxy.Close()

	if _, _, err := emulator.AllocateAddress(ctx, emulator.AWSConfig(proxy.URL, moto.Region, emulator.TestCredentials)); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, imds.URL+"/latest/api/token", nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-aws-ec2-metadata-token-ttl-seconds", "60")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	token, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(token) == 0 {
		return fmt.Errorf("IMDS token: %s %q", resp.Status, token)
	}

	out, err := json.Marshal(urls{Moto: moto.URL, IMDS: imds.URL, Proxy: proxy.URL, Calls: proxy.Calls("AllocateAddress")})
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	if crash {
		os.Exit(3)
	}
	return nil
}
