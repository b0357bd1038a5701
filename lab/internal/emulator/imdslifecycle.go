package emulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"sync"
)

// targetLifecyclePath is where the metadata service says the Auto Scaling
// lifecycle state an instance is headed for.
const targetLifecyclePath = "/latest/meta-data/autoscaling/target-lifecycle-state"

// LifecycleFront serves an instance's metadata in front of the metadata
// mock, which knows only InService and Terminated (see [IMDSOptions]), and
// answers autoscaling/target-lifecycle-state with the state it is set to,
// such as "Warmed:Stopped" for an instance launched into a warm pool. The
// mock still judges the request's token.
type LifecycleFront struct {
	// URL is the front's base URL, to use as the metadata endpoint.
	URL   string
	mock  string
	proxy *httputil.ReverseProxy
	srv   *httptest.Server

	mu    sync.Mutex
	state string
}

// StartLifecycleFrontE starts a front for the metadata mock at imdsURL
// that says state. The caller must Close it.
func StartLifecycleFrontE(imdsURL, state string) (*LifecycleFront, error) {
	u, l, err := listenInFront("lifecycle front: metadata mock", imdsURL)
	if err != nil {
		return nil, err
	}
	f := &LifecycleFront{mock: imdsURL, proxy: httputil.NewSingleHostReverseProxy(u), state: state}
	f.srv = serveOn(l, f)
	f.URL = f.srv.URL
	return f, nil
}

// Set makes the front say state from now on, as when the group takes the
// instance out of its warm pool.
func (f *LifecycleFront) Set(state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.state = state
}

// Close stops the front and waits for requests in flight.
func (f *LifecycleFront) Close() { f.srv.Close() }

// ServeHTTP implements http.Handler.
func (f *LifecycleFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || r.URL.Path != targetLifecyclePath {
		f.proxy.ServeHTTP(w, r)
		return
	}
	// The mock answers the same request first: its refusal (a missing or
	// expired token) is the answer.
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, f.mock+targetLifecyclePath, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, "lifecycle front: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
		return
	}
	f.mu.Lock()
	state := f.state
	f.mu.Unlock()
	_, _ = io.WriteString(w, state)
}
