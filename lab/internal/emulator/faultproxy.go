package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// APIError is an error answer in the shape of the AWS query protocol, as
// EC2, Auto Scaling, IAM and STS send them.
type APIError struct {
	// Status is the HTTP status code; 400 Bad Request if zero.
	Status int
	// Code is the AWS error code, e.g. RequestLimitExceeded; the AWS CLI
	// prints it in parentheses and SDKs expose it as the error code.
	Code string
	// Message is the human-readable text.
	Message string
}

// Errors that real EC2 returns, with its status codes and messages. The
// AWS CLI and SDKs retry the throttling and 5xx ones by default.
var (
	RequestLimitExceeded  = APIError{http.StatusBadRequest, "RequestLimitExceeded", "Request limit exceeded."}
	Unavailable           = APIError{http.StatusServiceUnavailable, "Unavailable", "The server is overloaded and can't handle the request."}
	InternalError         = APIError{http.StatusInternalServerError, "InternalError", "An internal error has occurred."}
	AuthFailure           = APIError{http.StatusUnauthorized, "AuthFailure", "AWS was not able to validate the provided access credentials"}
	UnauthorizedOperation = APIError{http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation."}
)

// FaultProxy is a loopback HTTP reverse proxy in front of moto or the
// metadata mock that counts and logs requests and injects failures. Faults
// can be changed while requests flow; all methods are safe for concurrent
// use. Start one with [NewFaultProxy] or [NewFaultProxyE].
//
// Requests in the AWS query protocol (a form body or query string with
// Action=..., as EC2, Auto Scaling, IAM and STS use) are counted per action,
// and so are JSON-protocol requests (by their X-Amz-Target operation). The
// Host header is forwarded unchanged, so SigV4 signatures stay valid and
// moto's IAM enforcement works through the proxy.
//
// Each request goes through these steps, and the first that answers it
// ends it:
//
//  0. a delay, if [FaultProxy.DelayFirstRequests] holds it; it then goes on
//     through the steps below, as the client may still be waiting;
//  1. request-level faults: [FaultProxy.DropFirstRequests], then
//     [FaultProxy.FailFirstRequests];
//  2. action-level faults: [FaultProxy.AuthFailureFor] windows, then
//     [FaultProxy.FailFirst] (and its variants) in the order they were set;
//  3. for a query-protocol request, the inspector set with
//     [FaultProxy.Inspect];
//  4. forwarding to the target.
//
// Answers from steps 1-3 count as injected.
type FaultProxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:PORT; use it wherever
	// the target's URL would go.
	URL string

	proxy     *httputil.ReverseProxy
	srv       *httptest.Server
	transport *http.Transport
	closing   chan struct{} // closed by Close, to end delays early
	closeOnce sync.Once
	now       func() time.Time // the clock for AuthFailureFor and the log; replaced in tests

	mu              sync.Mutex
	generation      uint64 // incremented by Reset
	total, injected int
	calls           map[string]int
	log             []Request
	actionFaults    []*actionFault
	authWindows     []*authWindow
	failRequests    int
	failStatus      int
	dropRequests    int
	delayRequests   int
	delay           time.Duration
	inspect         inspector
}

// inspector is the type of [FaultProxy.Inspect]'s argument.
type inspector = func(action string, form url.Values) *APIError

// Request is one request a [FaultProxy] received, as [FaultProxy.Log]
// reports it.
type Request struct {
	// Time is when the proxy received the request.
	Time time.Time
	// Method and Path are the request's HTTP method and URL path.
	Method, Path string
	// Action is the AWS operation called (as counted by
	// [FaultProxy.Calls]), or "" for anything else, such as an IMDS
	// request.
	Action string
	// Injected reports whether the proxy answered the request with a fault,
	// or dropped it, instead of forwarding it.
	Injected bool
	// Fault says what was injected: the API error code (such as
	// RequestLimitExceeded, or whatever the inspector returned), "HTTP 500"
	// (for [FaultProxy.FailFirstRequests]) or "dropped"; "" if the request
	// was forwarded.
	Fault string
}

// actionFault answers the next remaining calls of action (any action if
// empty) with err.
type actionFault struct {
	action    string
	remaining int
	err       APIError
}

// authWindow answers calls of action (any action if empty) with AuthFailure
// for d from the first such call.
type authWindow struct {
	action string
	d      time.Duration
	until  time.Time // zero until the first call
}

// NewFaultProxy starts a FaultProxy like [NewFaultProxyE] and registers a
// t.Cleanup that closes it. It fails the test if target is not an absolute
// http URL or the proxy cannot listen.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	p, err := NewFaultProxyE(target)
	if err != nil {
		t.Fatalf("NewFaultProxy: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// NewFaultProxyE starts a FaultProxy on a free loopback port in front of
// target (a base URL such as [Moto.URL] or [IMDS.URL]). It returns an error,
// never fails a test, so it can be used outside tests too; the caller must
// call [FaultProxy.Close] when done. It returns an error if target is not an
// absolute http://host:port URL or the proxy cannot listen.
func NewFaultProxyE(target string) (*FaultProxy, error) {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("fault proxy: target must be an http://host:port URL, got %q (%v)", target, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fault proxy: listen on a loopback port: %w", err)
	}
	p := &FaultProxy{now: time.Now, calls: map[string]int{}, closing: make(chan struct{})}
	p.transport = http.DefaultTransport.(*http.Transport).Clone()
	p.proxy = &httputil.ReverseProxy{
		Transport: p.transport,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			// Keep the Host the client signed.
			r.Out.Host = r.In.Host
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "FaultProxy: "+err.Error(), http.StatusBadGateway)
		},
	}
	// httptest.Server rather than http.Server for its Close, which waits
	// for requests in flight; it is given its own listener because
	// httptest.NewServer panics when it cannot listen.
	p.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: p}}
	p.srv.Start()
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy: it stops listening, closes idle connections, and
// waits for requests in flight to finish. It is idempotent and safe for
// concurrent use. Once it has returned, nothing listens at p.URL any more.
func (p *FaultProxy) Close() {
	p.closeOnce.Do(func() {
		close(p.closing)
		if p.srv != nil {
			p.srv.Close()
		}
		if p.transport != nil {
			p.transport.CloseIdleConnections()
		}
	})
}

// Inspect sets the inspector, which the proxy calls for every
// query-protocol request (EC2, Auto Scaling, IAM, STS, ...) that no fault
// has answered, just before forwarding it, with the request's Action and
// all its parameters: the URL query and, for a form-encoded body, the
// body's, in one url.Values (a copy: changing it changes nothing). The body
// is read and buffered first, so the request is forwarded unchanged.
//
// If the inspector returns nil the request is forwarded; otherwise the proxy
// answers with the returned error instead, in the XML shape of the service
// the request was signed for (as for [FaultProxy.FailFirst]), and counts it
// as injected. This lets a caller enforce what moto does not, such as the
// resource ARNs in an IAM policy.
//
// The inspector is not called for requests answered by a fault, for
// JSON-protocol requests (X-Amz-Target) or for requests without an Action
// (IMDS). It may be called from several goroutines at once, and it may call
// the proxy's methods. Inspect replaces any earlier inspector; Inspect(nil)
// removes it. [FaultProxy.Reset] keeps it.
func (p *FaultProxy) Inspect(inspect func(action string, form url.Values) *APIError) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inspect = inspect
}

// Reset makes the proxy as good as new for the next scenario: it removes
// every fault (FailFirst, ThrottleFirst, ServerErrorFirst, AuthFailureFor,
// FailFirstRequests, DropFirstRequests, DelayFirstRequests), sets [FaultProxy.Calls],
// [FaultProxy.Total] and [FaultProxy.Injected] to zero and empties
// [FaultProxy.Log]. It keeps the target and the inspector (see
// [FaultProxy.Inspect]). A request in flight during Reset is counted and
// logged before it or not at all.
func (p *FaultProxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.generation++
	p.total, p.injected = 0, 0
	p.calls = map[string]int{}
	p.log = nil
	p.actionFaults, p.authWindows = nil, nil
	p.failRequests, p.failStatus, p.dropRequests = 0, 0, 0
	p.delayRequests, p.delay = 0, 0
}

// Log returns every request received since the proxy started or was last
// [FaultProxy.Reset], in the order they arrived. It returns a copy. The log
// is not bounded: it is meant for scenarios of hundreds of requests, not for
// a proxy that runs for days without Reset.
func (p *FaultProxy) Log() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.log...)
}

// FailFirst answers the next n calls of action (every query or JSON protocol
// action if action is empty) with err instead of forwarding them. Each call
// adds to the faults already set; a call matching several is failed by the
// one set first, so faults queue up in the order they were set.
func (p *FaultProxy) FailFirst(action string, n int, err APIError) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.actionFaults = append(p.actionFaults, &actionFault{action: action, remaining: n, err: err})
}

// ThrottleFirst answers the next n calls of action with EC2's throttling
// error: HTTP 400, code RequestLimitExceeded.
func (p *FaultProxy) ThrottleFirst(action string, n int) {
	p.FailFirst(action, n, RequestLimitExceeded)
}

// ServerErrorFirst answers the next n calls of action with HTTP 503, code
// Unavailable. Use [FaultProxy.FailFirst] with [InternalError] for a 500.
func (p *FaultProxy) ServerErrorFirst(action string, n int) {
	p.FailFirst(action, n, Unavailable)
}

// AuthFailureFor answers every call of action (every action if action is
// empty) with HTTP 401, code AuthFailure, for d from the first such call, as
// EC2 does while new credentials (an instance profile's, say) have not yet
// propagated. The window opens at the first call, not now, so a client that
// is slow to start on a busy machine still meets it.
func (p *FaultProxy) AuthFailureFor(action string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.authWindows = append(p.authWindows, &authWindow{action: action, d: d})
}

// FailFirstRequests answers the next n requests of any kind, whatever their
// path or protocol, with HTTP status (a valid status code, such as 500) and a
// plain-text body, as an IMDS having trouble would. It replaces any earlier
// FailFirstRequests.
func (p *FaultProxy) FailFirstRequests(n int, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failRequests, p.failStatus = n, status
}

// DropFirstRequests closes the connection of the next n requests of any kind
// without answering, as an unreachable or overloaded IMDS would look to a
// client (curl reports "Empty reply from server"). It replaces any earlier
// DropFirstRequests.
func (p *FaultProxy) DropFirstRequests(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropRequests = n
}

// DelayFirstRequests holds each of the next n requests of any kind for d
// before it goes on (to a fault, or to the target), as a slow IMDS would,
// or, with a d longer than the client waits, an endpoint that accepts the
// connection and never answers. A held request whose client hangs up, or
// that is still held when the proxy closes, ends without an answer.
// Requests are counted and logged when they arrive, and a delay alone does
// not count as injected. It replaces any earlier DelayFirstRequests.
func (p *FaultProxy) DelayFirstRequests(n int, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delayRequests, p.delay = n, d
}

// Calls returns how many calls of action the proxy has received since it
// started or was last [FaultProxy.Reset], whether it forwarded them or
// answered them with a fault.
func (p *FaultProxy) Calls(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[action]
}

// Total returns how many requests of any kind the proxy has received since
// it started or was last [FaultProxy.Reset], including those it failed or
// dropped.
func (p *FaultProxy) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// Injected returns how many requests the proxy has failed or dropped instead
// of forwarding (including those its inspector refused) since it started or
// was last [FaultProxy.Reset].
func (p *FaultProxy) Injected() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.injected
}

// verdict is what the proxy does with one request; the zero value forwards
// it.
type verdict struct {
	drop   bool      // close the connection without answering
	status int       // answer with this status and a plain-text body
	apiErr *APIError // answer with this API error
}

// fault describes v for [Request.Fault].
func (v verdict) fault() string {
	switch {
	case v.drop:
		return "dropped"
	case v.apiErr != nil:
		return v.apiErr.Code
	case v.status != 0:
		return fmt.Sprintf("HTTP %d", v.status)
	}
	return ""
}

// ServeHTTP implements http.Handler.
func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		http.Error(w, "FaultProxy: read request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	// Give the body back so the request can still be forwarded.
	r.Body = io.NopCloser(bytes.NewReader(body))
	action, form := requestAction(r, body)

	delay := p.takeDelay()
	v, inspect, entry := p.decide(r, action)
	if delay > 0 && !p.hold(r, delay) {
		// Nobody waits for an answer any more: end the request without one.
		panic(http.ErrAbortHandler)
	}
	if v == (verdict{}) && inspect != nil && form != nil {
		if apiErr := inspect(action, form); apiErr != nil {
			v = verdict{apiErr: apiErr}
			p.markInjected(entry, v)
		}
	}
	switch {
	case v.drop:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// Only HTTP/2 connections cannot be hijacked (and the proxy
			// serves HTTP/1.1); aborting the handler also ends the request
			// without an answer.
			panic(http.ErrAbortHandler)
		}
		conn.Close()
	case v.apiErr != nil:
		writeAPIError(w, r, *v.apiErr)
	case v.status != 0:
		http.Error(w, fmt.Sprintf("FaultProxy: injected HTTP %d", v.status), v.status)
	default:
		p.proxy.ServeHTTP(w, r)
	}
}

// takeDelay uses up one delayed request, if any remain, and returns how
// long to hold it.
func (p *FaultProxy) takeDelay() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.delayRequests <= 0 {
		return 0
	}
	p.delayRequests--
	return p.delay
}

// hold waits d, and reports whether the request should still be answered:
// false if its client went away or the proxy is closing first.
func (p *FaultProxy) hold(r *http.Request, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	case <-p.closing:
		return false
	}
}

// logEntry identifies a request's entry in the log, which a Reset may have
// discarded since.
type logEntry struct {
	generation uint64
	index      int
}

// decide counts and logs the request and picks its fault, if any. It also
// returns the inspector to consult if there is none.
func (p *FaultProxy) decide(r *http.Request, action string) (verdict, inspector, logEntry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	v := p.faultFor(action, now)
	p.total++
	if action != "" {
		p.calls[action]++
	}
	if v != (verdict{}) {
		p.injected++
	}
	p.log = append(p.log, Request{
		Time: now, Method: r.Method, Path: r.URL.Path, Action: action,
		Injected: v != (verdict{}), Fault: v.fault(),
	})
	return v, p.inspect, logEntry{p.generation, len(p.log) - 1}
}

// markInjected records that the inspector answered the request logged at
// e with v, unless a Reset has happened since.
func (p *FaultProxy) markInjected(e logEntry, v verdict) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.generation != p.generation {
		return
	}
	p.injected++
	p.log[e.index].Injected = true
	p.log[e.index].Fault = v.fault()
}

// faultFor picks the fault for a call of action at now, if any, and uses
// it up. p.mu must be held.
func (p *FaultProxy) faultFor(action string, now time.Time) verdict {
	if p.dropRequests > 0 {
		p.dropRequests--
		return verdict{drop: true}
	}
	if p.failRequests > 0 {
		p.failRequests--
		return verdict{status: p.failStatus}
	}
	if action == "" {
		return verdict{}
	}
	for _, w := range p.authWindows {
		if w.action != "" && w.action != action {
			continue
		}
		if w.until.IsZero() {
			w.until = now.Add(w.d)
		}
		if now.Before(w.until) {
			err := AuthFailure
			return verdict{apiErr: &err}
		}
	}
	for _, f := range p.actionFaults {
		if (f.action == "" || f.action == action) && f.remaining > 0 {
			f.remaining--
			err := f.err
			return verdict{apiErr: &err}
		}
	}
	return verdict{}
}

// requestAction returns the AWS operation a request calls and, for a
// query-protocol request, its parameters. For a query-protocol request the
// operation is the Action parameter (from a form body or the URL query) and
// form holds the body's parameters followed by the URL query's; for a
// JSON-protocol request it is the operation named in the X-Amz-Target header
// and form is nil. For anything else, such as an IMDS request, it returns ""
// and nil.
func requestAction(r *http.Request, body []byte) (action string, form url.Values) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		_, op, _ := strings.Cut(target, ".")
		return op, nil
	}
	form = url.Values{}
	if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil &&
		mediaType == "application/x-www-form-urlencoded" {
		if bodyForm, err := url.ParseQuery(string(body)); err == nil {
			form = bodyForm
		}
	}
	for k, vs := range r.URL.Query() {
		form[k] = append(form[k], vs...)
	}
	// The URL query's Action wins, as it always has for counting.
	action = r.URL.Query().Get("Action")
	if action == "" {
		action = form.Get("Action")
	}
	if action == "" {
		return "", nil
	}
	return action, form
}

// signingService returns the service name in a SigV4 Authorization header
// ("ec2", "autoscaling", ...), or "" if the request is not signed that way.
func signingService(r *http.Request) string {
	_, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	// access-key/date/region/service/aws4_request
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return ""
	}
	return parts[3]
}

// writeAPIError answers with err in the XML shape of the service the request
// was signed for: EC2's <Response><Errors><Error>... for EC2 (and unsigned
// requests), and the <ErrorResponse><Error>... shape of the other
// query-protocol services otherwise.
func writeAPIError(w http.ResponseWriter, r *http.Request, err APIError) {
	id := requestID()
	code, msg := html.EscapeString(err.Code), html.EscapeString(err.Message)
	var body string
	if svc := signingService(r); svc == "" || svc == "ec2" {
		body = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
			code, msg, id)
	} else {
		errType := "Sender"
		if err.Status >= http.StatusInternalServerError {
			errType = "Receiver"
		}
		body = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			errType, code, msg, id)
	}
	status := err.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("X-Amzn-RequestId", id)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// requestID returns a random request ID in the UUID format AWS uses.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
