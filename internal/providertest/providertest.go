// Package providertest runs a Pulumi component provider binary the way the
// engine does, with no engine and no cloud: it serves the engine and a
// resource monitor over gRPC itself, starts the provider with the engine's
// address, reads the port the provider prints, and calls GetSchema and
// Construct on it. The monitor answers registrations and invokes from a
// pulumi.MockResourceMonitor (such as internal/mockmonitor/fake's) and records them,
// so a test sees the resource tree a construction would deploy.
package providertest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/selfhealing-dev/selfhealing/internal/mockmonitor/record"
)

// Build compiles the main packages pkgs (such as
// "./cmd/pulumi-resource-selfhealing", relative to dir) in one go command
// into directory out, each binary named after its package's directory,
// stripped of debug information to link faster.
func Build(ctx context.Context, dir, out string, pkgs ...string) error {
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-ldflags=-s -w", "-o", out + string(os.PathSeparator)}, pkgs...)...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", strings.Join(pkgs, " "), err, b)
	}
	return nil
}

// Invocation is one invoke the monitor answered, or refused.
type Invocation struct {
	Token string
	Args  resource.PropertyMap
	// Err is the mock's error, if it refused.
	Err string
}

// Session is a running provider and the engine and monitor it talks to.
type Session struct {
	// Project and Stack name the deployment Construct runs in.
	Project, Stack string

	mocks    pulumi.MockResourceMonitor
	server   *grpc.Server
	addr     string
	cmd      *exec.Cmd
	conn     *grpc.ClientConn
	provider pulumirpc.ResourceProviderClient
	stderr   *lockedBuffer

	mu        sync.Mutex
	resources []record.Resource
	invokes   []Invocation
	logs      []string
}

// Start serves an engine and a monitor backed by mocks on a loopback port,
// then starts the provider binary with the engine's address as the engine
// does, and connects to the port it prints.
func Start(ctx context.Context, binary string, mocks pulumi.MockResourceMonitor) (*Session, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the provider: %w", err)
	}
	s := &Session{Project: "selfhealing", Stack: "test", mocks: mocks, addr: lis.Addr().String(), stderr: &lockedBuffer{}}
	s.server = grpc.NewServer()
	pulumirpc.RegisterEngineServer(s.server, &engine{s: s})
	pulumirpc.RegisterResourceMonitorServer(s.server, &monitor{s: s})
	go func() { _ = s.server.Serve(lis) }()

	s.cmd = exec.Command(binary, s.addr)
	s.cmd.Stderr = s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		s.server.Stop()
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	if err := s.cmd.Start(); err != nil {
		s.server.Stop()
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	port, err := readPort(ctx, stdout)
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("%s did not print its port: %w\nstderr:\n%s", binary, err, s.stderr.String())
	}
	s.conn, err = grpc.NewClient("127.0.0.1:"+strconv.Itoa(port), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("connecting to %s: %w", binary, err)
	}
	s.provider = pulumirpc.NewResourceProviderClient(s.conn)
	return s, nil
}

// readPort reads the first line the provider prints, its port.
func readPort(ctx context.Context, stdout io.Reader) (int, error) {
	type result struct {
		port int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			done <- result{err: err}
			return
		}
		port, err := strconv.Atoi(strings.TrimSpace(line))
		done <- result{port, err}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case r := <-done:
		return r.port, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(30 * time.Second):
		return 0, errors.New("timed out after 30s")
	}
}

// Close stops the provider and the servers.
func (s *Session) Close() error {
	if s.conn != nil {
		_ = s.conn.Close()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	}
	s.server.Stop()
	return nil
}

// Stderr is what the provider wrote to its standard error so far.
func (s *Session) Stderr() string { return s.stderr.String() }

// GetSchema returns the schema the provider serves.
func (s *Session) GetSchema(ctx context.Context) (string, error) {
	resp, err := s.provider.GetSchema(ctx, &pulumirpc.GetSchemaRequest{})
	if err != nil {
		return "", fmt.Errorf("GetSchema: %w", err)
	}
	return resp.GetSchema(), nil
}

// Result is what a Construct call produced.
type Result struct {
	// URN is the component's URN.
	URN string
	// State is the component's outputs.
	State resource.PropertyMap
	// Resources are the registrations the monitor saw, in order.
	Resources []record.Resource
	// Invokes are the invokes it answered, in order.
	Invokes []Invocation
	// Logs are the messages the provider logged to the engine.
	Logs []string
}

// ByType returns the registrations of one type, in order.
func (r *Result) ByType(typeToken string) []record.Resource {
	var out []record.Resource
	for _, res := range r.Resources {
		if res.Type == typeToken {
			out = append(out, res)
		}
	}
	return out
}

// Construct asks the provider to construct component token as name, with
// inputs and the stack configuration config ("aws:region" and the like), in
// a preview when dryRun. The error is the provider's, as a gRPC status
// message, when construction fails.
func (s *Session) Construct(ctx context.Context, token, name string, inputs resource.PropertyMap,
	config map[string]string, dryRun bool,
) (*Result, error) {
	s.mu.Lock()
	s.resources, s.invokes, s.logs = nil, nil, nil
	s.mu.Unlock()
	in, err := plugin.MarshalProperties(inputs, plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true})
	if err != nil {
		return nil, fmt.Errorf("encoding the inputs: %w", err)
	}
	stackURN := string(resource.NewURN(tokens.QName(s.Stack), tokens.PackageName(s.Project), "",
		resource.RootStackType, s.Project+"-"+s.Stack))
	resp, err := s.provider.Construct(ctx, &pulumirpc.ConstructRequest{
		Project: s.Project, Stack: s.Stack, Config: config, DryRun: dryRun, Parallel: 16,
		MonitorEndpoint: s.addr, Type: token, Name: name, Parent: stackURN, Inputs: in,
		Organization: "organization",
	})
	result := &Result{}
	s.mu.Lock()
	result.Resources = append(result.Resources, s.resources...)
	result.Invokes = append(result.Invokes, s.invokes...)
	result.Logs = append(result.Logs, s.logs...)
	s.mu.Unlock()
	if err != nil {
		if st, ok := status.FromError(err); ok {
			return result, fmt.Errorf("Construct: %s", st.Message())
		}
		return result, fmt.Errorf("Construct: %w", err)
	}
	result.URN = resp.GetUrn()
	result.State, err = plugin.UnmarshalProperties(resp.GetState(), plugin.MarshalOptions{KeepSecrets: true, KeepUnknowns: true})
	if err != nil {
		return result, fmt.Errorf("decoding the component's state: %w", err)
	}
	return result, nil
}

// engine is the engine the provider logs to.
type engine struct {
	pulumirpc.UnimplementedEngineServer
	s    *Session
	mu   sync.Mutex
	root string
}

func (e *engine) Log(_ context.Context, in *pulumirpc.LogRequest) (*emptypb.Empty, error) {
	e.s.mu.Lock()
	defer e.s.mu.Unlock()
	e.s.logs = append(e.s.logs, fmt.Sprintf("%s: %s", in.GetSeverity(), in.GetMessage()))
	return &emptypb.Empty{}, nil
}

func (e *engine) GetRootResource(context.Context, *pulumirpc.GetRootResourceRequest) (*pulumirpc.GetRootResourceResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return &pulumirpc.GetRootResourceResponse{Urn: e.root}, nil
}

func (e *engine) SetRootResource(_ context.Context, in *pulumirpc.SetRootResourceRequest) (*pulumirpc.SetRootResourceResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.root = in.GetUrn()
	return &pulumirpc.SetRootResourceResponse{}, nil
}

// monitor is the resource monitor Construct registers with.
type monitor struct {
	pulumirpc.UnimplementedResourceMonitorServer
	s *Session
}

var marshal = plugin.MarshalOptions{KeepSecrets: true, KeepResources: true, KeepUnknowns: true}

func (m *monitor) SupportsFeature(_ context.Context, in *pulumirpc.SupportsFeatureRequest) (*pulumirpc.SupportsFeatureResponse, error) {
	// Like Pulumi's own mock monitor: no output values, so that inputs
	// arrive as plain values.
	return &pulumirpc.SupportsFeatureResponse{HasSupport: in.GetId() != "outputValues"}, nil
}

func (m *monitor) GetDeploymentInfo(context.Context, *emptypb.Empty) (*pulumirpc.DeploymentInfo, error) {
	return &pulumirpc.DeploymentInfo{
		Project: m.s.Project, Stack: m.s.Stack,
		SupportedFeatures: []pulumirpc.ResourceMonitorFeature{
			pulumirpc.ResourceMonitorFeature_RESOURCE_MONITOR_FEATURE_SECRETS,
			pulumirpc.ResourceMonitorFeature_RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES,
			pulumirpc.ResourceMonitorFeature_RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
			pulumirpc.ResourceMonitorFeature_RESOURCE_MONITOR_FEATURE_DELETED_WITH,
		},
	}, nil
}

func (m *monitor) RegisterResource(_ context.Context, in *pulumirpc.RegisterResourceRequest) (*pulumirpc.RegisterResourceResponse, error) {
	urn := m.urn(in.GetParent(), in.GetType(), in.GetName())
	inputs, err := plugin.UnmarshalProperties(in.GetObject(), marshal)
	if err != nil {
		return nil, fmt.Errorf("decoding the inputs of %s: %w", urn, err)
	}
	args := pulumi.MockResourceArgs{
		TypeToken: in.GetType(), Name: in.GetName(), Inputs: inputs, Provider: in.GetProvider(),
		ID: in.GetImportId(), Custom: in.GetCustom(), RegisterRPC: in,
	}
	id, state, err := m.s.mocks.NewResource(args)
	if err != nil {
		return nil, err
	}
	r := record.FromArgs(args)
	r.ID, r.Outputs, r.URN = id, state, urn
	m.s.mu.Lock()
	m.s.resources = append(m.s.resources, r)
	m.s.mu.Unlock()
	out, err := plugin.MarshalProperties(state, marshal)
	if err != nil {
		return nil, fmt.Errorf("encoding the state of %s: %w", urn, err)
	}
	return &pulumirpc.RegisterResourceResponse{Urn: urn, Id: id, Object: out}, nil
}

// urn is the URN the engine would give a resource of type typ named name
// under parent.
func (m *monitor) urn(parent, typ, name string) string {
	var parentType tokens.Type
	if p := resource.URN(parent); p.IsValid() && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(m.s.Stack), tokens.PackageName(m.s.Project), parentType, tokens.Type(typ), name))
}

func (m *monitor) RegisterResourceOutputs(_ context.Context, in *pulumirpc.RegisterResourceOutputsRequest) (*emptypb.Empty, error) {
	outputs, err := plugin.UnmarshalProperties(in.GetOutputs(), marshal)
	if err != nil {
		return nil, fmt.Errorf("decoding the outputs of %s: %w", in.GetUrn(), err)
	}
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	for i := range m.s.resources {
		if m.s.resources[i].URN == in.GetUrn() {
			m.s.resources[i].Outputs = outputs
		}
	}
	return &emptypb.Empty{}, nil
}

func (m *monitor) Invoke(_ context.Context, in *pulumirpc.ResourceInvokeRequest) (*pulumirpc.ResourceInvokeResponse, error) {
	args, err := plugin.UnmarshalProperties(in.GetArgs(), marshal)
	if err != nil {
		return nil, fmt.Errorf("decoding the arguments of %s: %w", in.GetTok(), err)
	}
	ret, callErr := m.s.mocks.Call(pulumi.MockCallArgs{Token: in.GetTok(), Args: args, Provider: in.GetProvider()})
	inv := Invocation{Token: in.GetTok(), Args: args}
	if callErr != nil {
		inv.Err = callErr.Error()
	}
	m.s.mu.Lock()
	m.s.invokes = append(m.s.invokes, inv)
	m.s.mu.Unlock()
	if callErr != nil {
		return nil, callErr
	}
	out, err := plugin.MarshalProperties(ret, plugin.MarshalOptions{KeepSecrets: true, KeepResources: in.GetAcceptResources()})
	if err != nil {
		return nil, fmt.Errorf("encoding the result of %s: %w", in.GetTok(), err)
	}
	return &pulumirpc.ResourceInvokeResponse{Return: out}, nil
}

func (m *monitor) RegisterPackage(context.Context, *pulumirpc.RegisterPackageRequest) (*pulumirpc.RegisterPackageResponse, error) {
	return &pulumirpc.RegisterPackageResponse{Ref: "providertest"}, nil
}

func (m *monitor) RegisterStackTransform(context.Context, *pulumirpc.Callback) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (m *monitor) SignalAndWaitForShutdown(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// lockedBuffer collects a process's output safely.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
