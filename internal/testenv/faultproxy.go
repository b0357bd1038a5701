package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html"
	"io"
	"mime"
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
	// Status is the HTTP status code.
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
// metadata mock that counts requests and injects failures. Faults can be
// changed while requests flow; all methods are safe for concurrent use.
//
// Requests in the AWS query protocol (a form body or query string with
// Action=..., as EC2, Auto Scaling, IAM and STS use) are counted per action,
// and so are JSON-protocol requests (by their X-Amz-Target operation). The
// Host header is forwarded unchanged, so SigV4 signatures stay valid and
// moto's IAM enforcement works through the proxy.
//
// Request-level faults (FailFirstRequests, DropFirstRequests) are applied
// before action-level ones.
type FaultProxy struct {
	// URL is the proxy's base URL, http://127.0.0.1:PORT; use it wherever
	// the target's URL would go.
	URL string

	proxy *httputil.ReverseProxy
	now   func() time.Time // the clock for AuthFailureFor; replaced in tests

	mu              sync.Mutex
	total, injected int
	calls           map[string]int
	actionFaults    []*actionFault
	authWindows     []authWindow
	failRequests    int
	failStatus      int
	dropRequests    int
}

// actionFault answers the next remaining calls of action (any action if
// empty) with err.
type actionFault struct {
	action    string
	remaining int
	err       APIError
}

// authWindow answers calls of action (any action if empty) with AuthFailure
// until the deadline.
type authWindow struct {
	action string
	until  time.Time
}

// NewFaultProxy starts a FaultProxy on a loopback port in front of target (a
// base URL such as [Moto.URL] or [IMDS.URL]) and registers a t.Cleanup that
// closes it. It fails the test if target is not an absolute http URL.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		t.Fatalf("NewFaultProxy: target must be an http://host:port URL, got %q (%v)", target, err)
	}
	p := &FaultProxy{now: time.Now, calls: map[string]int{}}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	p.proxy = &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			// Keep the Host the client signed.
			r.Out.Host = r.In.Host
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, "FaultProxy: "+err.Error(), http.StatusBadGateway)
		},
	}
	srv := httptest.NewServer(p)
	t.Cleanup(func() {
		srv.Close()
		transport.CloseIdleConnections()
	})
	p.URL = srv.URL
	return p
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
// empty) made during the next d with HTTP 401, code AuthFailure, as EC2 does
// while new credentials (an instance profile's, say) have not yet
// propagated.
func (p *FaultProxy) AuthFailureFor(action string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.authWindows = append(p.authWindows, authWindow{action: action, until: p.now().Add(d)})
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

// Calls returns how many calls of action the proxy has received, whether it
// forwarded them or answered them with a fault.
func (p *FaultProxy) Calls(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[action]
}

// Total returns how many requests of any kind the proxy has received,
// including those it failed or dropped.
func (p *FaultProxy) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.total
}

// Injected returns how many requests the proxy has failed or dropped instead
// of forwarding.
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
	action := requestAction(r, body)

	v := p.decide(action)
	switch {
	case v.drop:
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			// Only HTTP/2 connections cannot be hijacked (and httptest
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

// decide counts the request and picks its fault, if any.
func (p *FaultProxy) decide(action string) verdict {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total++
	if action != "" {
		p.calls[action]++
	}
	if p.dropRequests > 0 {
		p.dropRequests--
		p.injected++
		return verdict{drop: true}
	}
	if p.failRequests > 0 {
		p.failRequests--
		p.injected++
		return verdict{status: p.failStatus}
	}
	if action == "" {
		return verdict{}
	}
	now := p.now()
	for _, w := range p.authWindows {
		if (w.action == "" || w.action == action) && now.Before(w.until) {
			p.injected++
			err := AuthFailure
			return verdict{apiErr: &err}
		}
	}
	for _, f := range p.actionFaults {
		if (f.action == "" || f.action == action) && f.remaining > 0 {
			f.remaining--
			p.injected++
			err := f.err
			return verdict{apiErr: &err}
		}
	}
	return verdict{}
}

// requestAction returns the AWS operation a request calls: the Action
// parameter of a query-protocol request (form body or URL query), or the
// operation named in a JSON-protocol X-Amz-Target header. It returns "" for
// anything else, such as an IMDS request.
func requestAction(r *http.Request, body []byte) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		_, op, _ := strings.Cut(target, ".")
		return op
	}
	if action := r.URL.Query().Get("Action"); action != "" {
		return action
	}
	if mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil &&
		mediaType == "application/x-www-form-urlencoded" {
		if form, err := url.ParseQuery(string(body)); err == nil {
			return form.Get("Action")
		}
	}
	return ""
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
		if err.Status >= 500 {
			errType = "Receiver"
		}
		body = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			errType, code, msg, id)
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("X-Amzn-RequestId", id)
	w.WriteHeader(err.Status)
	_, _ = io.WriteString(w, body)
}

// requestID returns a random request ID in the UUID format AWS uses.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
