package emulator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// motoInstallHint says how to get moto_server; moto 5.x is what this package
// is tested with.
const motoInstallHint = "pip install 'moto[server]==5.2.1'"

// defaultMotoStartTimeout is generous because moto imports every service's
// models at start, which takes seconds on a loaded two-core machine.
const defaultMotoStartTimeout = 60 * time.Second

// MotoOptions configures [StartMoto] and [StartMotoE]. The zero value is a
// moto that accepts any credentials, with [DefaultRegion] and without AWS
// managed policies.
type MotoOptions struct {
	// Region is the region [Moto.AWSConfig] uses; [DefaultRegion] if empty.
	// moto itself serves every region at once.
	Region string

	// EnforceIAM turns on moto's IAM enforcement: after the first
	// UnauthenticatedRequests requests, every request must be signed with an
	// access key of an IAM user that exists in moto (otherwise EC2 answers
	// 401 AuthFailure) and be allowed by that user's policies (otherwise moto
	// answers 403 AccessDenied, where real EC2 says UnauthorizedOperation).
	// [TestCredentials] stop working once enforcement starts.
	//
	// Enforcement can also be switched on later with [Moto.EnforceIAMNow],
	// which is usually simpler than counting setup requests.
	EnforceIAM bool

	// UnauthenticatedRequests is, with EnforceIAM, how many requests moto
	// serves unchecked before enforcement starts (moto's
	// INITIAL_NO_AUTH_ACTION_COUNT), typically to create the IAM user, its
	// policy and access key. moto counts requests to all services together.
	// It is ignored without EnforceIAM.
	UnauthenticatedRequests int

	// LoadManagedPolicies makes moto load AWS managed policies such as
	// arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore at start (moto's
	// MOTO_IAM_LOAD_MANAGED_POLICIES=true), so that GetPolicy finds them
	// and AttachRolePolicy can attach them. Without it moto has no managed
	// policies, whatever MOTO_IAM_LOAD_MANAGED_POLICIES says in the caller's
	// environment: this option alone decides.
	LoadManagedPolicies bool

	// StartTimeout bounds the wait for moto to answer; 60s if zero.
	StartTimeout time.Duration
}

// Moto is a running moto_server on a loopback port, started by [StartMoto]
// or [StartMotoE].
type Moto struct {
	// URL is moto's base URL, http://127.0.0.1:PORT. Point an SDK's base
	// endpoint at it, or an [HTTPSProxy] for the AWS CLI.
	URL string
	// Region is the region [Moto.AWSConfig] uses.
	Region string

	srv *server
}

// StartMoto starts moto_server like [StartMotoE] and registers a t.Cleanup
// that closes it (see [Moto.Close]) and, if the test failed, logs the tail of
// moto's output.
//
// It fails the test if moto cannot be started, and behaves like
// [RequireTool] (a skip outside CI) if moto_server is not installed.
func StartMoto(t testing.TB, opts MotoOptions) *Moto {
	t.Helper()
	RequireTool(t, "moto_server", motoInstallHint)
	m, err := StartMotoE(opts)
	if err != nil {
		t.Fatalf("StartMoto: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("StartMoto cleanup: %v", err)
		}
		if t.Failed() {
			t.Logf("moto_server output (tail):\n%s", m.LogTail())
		}
	})
	return m
}

// StartMotoE starts moto_server (looked up on PATH) on a free loopback port
// in its own process group, and waits, bounded by opts.StartTimeout, until it
// answers. It returns an error, never fails a test, so it can be used outside
// tests too; the caller must call [Moto.Close] when done.
//
// moto_server inherits the caller's environment, except that
// INITIAL_NO_AUTH_ACTION_COUNT and MOTO_IAM_LOAD_MANAGED_POLICIES are set
// from opts only. If moto_server is not on PATH the error wraps
// exec.ErrNotFound and says how to install it; if moto does not start, the
// error includes the tail of its output, and nothing is left running.
func StartMotoE(opts MotoOptions) (*Moto, error) {
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = defaultMotoStartTimeout
	}
	if opts.UnauthenticatedRequests < 0 {
		return nil, fmt.Errorf("start moto_server: UnauthenticatedRequests must not be negative, got %d", opts.UnauthenticatedRequests)
	}
	motoServer, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("start moto_server: %w; install it: %s", err, motoInstallHint)
	}
	env := motoEnv(os.Environ(), opts)
	srv, url, err := startOwnedServer("moto_server", func(string) (serverSpec, error) {
		return serverSpec{
			name: "moto_server",
			command: func(port int) *exec.Cmd {
				cmd := exec.Command(motoServer, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
				cmd.Env = env
				return cmd
			},
			probePath: "/moto-api/",
			timeout:   opts.StartTimeout,
		}, nil
	})
	if err != nil {
		return nil, err
	}
	return &Moto{URL: url, Region: opts.Region, srv: srv}, nil
}

// motoEnv returns moto_server's environment: base with the variables opts
// controls set as opts says.
func motoEnv(base []string, opts MotoOptions) []string {
	env := withoutEnv(base, "INITIAL_NO_AUTH_ACTION_COUNT", "MOTO_IAM_LOAD_MANAGED_POLICIES")
	if opts.EnforceIAM {
		env = append(env, "INITIAL_NO_AUTH_ACTION_COUNT="+strconv.Itoa(opts.UnauthenticatedRequests))
	}
	if opts.LoadManagedPolicies {
		env = append(env, "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	}
	return env
}

// Close stops moto_server: SIGTERM to its whole process group, SIGKILL
// after 5s, and a bounded wait until it has exited. It then removes moto's
// temporary directory. Close is idempotent and safe for concurrent use:
// later calls do nothing and return the first call's result. Once it has
// returned, nothing listens at m.URL any more. Close on a Moto that was not
// started by [StartMoto] or [StartMotoE] does nothing.
func (m *Moto) Close() error {
	return m.srv.close()
}

// LogTail returns the last 8 KiB of moto_server's combined stdout and
// stderr (one line per request it served), for error messages. It also
// works after [Moto.Close], returning the output as it was then.
func (m *Moto) LogTail() string {
	return m.srv.logTail()
}

// AWSConfig returns an aws-sdk-go-v2 configuration for moto in m.Region,
// signed with [TestCredentials]. Use [AWSConfig] for other credentials or to
// go through a [FaultProxy].
func (m *Moto) AWSConfig() aws.Config {
	return AWSConfig(m.URL, m.Region, TestCredentials)
}

// Reset discards every resource in moto (POST /moto-api/reset), so one
// server can be shared by tests that run one after another. It leaves IAM
// enforcement as it is but deletes IAM users too, so once enforcement is on,
// no credentials pass it after a reset.
func (m *Moto) Reset(ctx context.Context) error {
	if err := m.post(ctx, "/moto-api/reset", ""); err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	return nil
}

// EnforceIAMNow turns on moto's IAM enforcement for every following request
// (POST /moto-api/reset-auth with 0); see [MotoOptions.EnforceIAM] for what
// that means. Create the IAM users, policies and access keys a test needs
// before calling it.
func (m *Moto) EnforceIAMNow(ctx context.Context) error {
	if err := m.post(ctx, "/moto-api/reset-auth", "0"); err != nil {
		return fmt.Errorf("enforce IAM in moto: %w", err)
	}
	return nil
}

// ExemptNextRequests lets the next n requests through unauthenticated, then
// enforces IAM again (POST /moto-api/reset-auth with n). It is how a harness
// acts as an AWS service, such as EC2 assuming an instance role, which
// moto's enforcement has no principal for. It returns an error.
func (m *Moto) ExemptNextRequests(ctx context.Context, n int) error {
	if err := m.post(ctx, "/moto-api/reset-auth", strconv.Itoa(n)); err != nil {
		return fmt.Errorf("exempt %d requests from IAM in moto: %w", n, err)
	}
	return nil
}

// post sends body to moto's management API at path and expects 200 OK.
func (m *Moto) post(ctx context.Context, path, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.URL+path, strings.NewReader(body))
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", path, err)
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, respBody)
	}
	return nil
}

// withoutEnv returns env without the variables named in names.
func withoutEnv(env []string, names ...string) []string {
	out := make([]string, 0, len(env))
next:
	for _, kv := range env {
		for _, name := range names {
			if strings.HasPrefix(kv, name+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
