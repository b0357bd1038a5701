package emulator

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
)

// The API models ([EBSModel], [AutoScalingModel]) each answer some requests
// themselves and pass the rest on, unchanged, to the next hop towards moto.
// These helpers are what they share.

// listenInFront checks an API model's upstream URL (what names the model
// and its upstream in errors, as "EBS model: moto") and opens the free
// loopback port the model will serve on.
func listenInFront(what, upstream string) (*url.URL, net.Listener, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, nil, fmt.Errorf("%s URL must be http://host:port, got %q (%v)", what, upstream, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("%s: listen on a loopback port: %w", what, err)
	}
	return u, l, nil
}

// forwardSigned is a reverse proxy to u that keeps the Host header the
// client signed (SigV4 covers it), so moto verifies the signature as sent.
func forwardSigned(u *url.URL) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host
	}}
}

// serveOn starts handler on l; Close on the server stops it and waits for
// requests in flight.
func serveOn(l net.Listener, handler http.Handler) *httptest.Server {
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: handler}}
	srv.Start()
	return srv
}

// readAction reads a query-protocol request's action and form, and puts the
// body back so that the request can still be forwarded as it came. If the
// body cannot be read it answers 400 itself, naming the model (what), and
// ok is false.
func readAction(w http.ResponseWriter, r *http.Request, what string) (action string, form url.Values, ok bool) {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		http.Error(w, what+": read request body: "+err.Error(), http.StatusBadRequest)
		return "", nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	action, form = requestAction(r, body)
	return action, form, true
}
