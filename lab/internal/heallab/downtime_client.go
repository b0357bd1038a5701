package heallab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The downtime client: a user outside every instance who keeps asking the
// stack's address.
//
// Routing. The stack's address reaches whichever instance moto (through
// the lab's models, which disassociate a terminated instance's address as
// AWS does) says holds the Elastic IP: the client asks DescribeAddresses
// once per ClientInterval, apart from its requests, and each request goes
// where the last answer said (Probe.LookedAt says when that came; it is
// one interval old unless moto was slow). A new holder takes effect only EIPEdge.Full
// after the client first saw it, waited in real time (it overlaps the
// rest of the boot, which a scaled wait would not keep), during which the
// address still leads to the previous holder; an address on no instance
// leads nowhere at once. The instance the address leads to is reached on
// its application's loopback port (AppPortFile on the instance); an
// instance that does not hold the address is never asked.

// ClientInterval is how often the client asks the address.
const ClientInterval = 50 * time.Millisecond

// clientWriteEvery makes every n-th request a write (POST).
const clientWriteEvery = 4

// clientTimeout bounds one request: a frozen application accepts the
// connection and never answers.
const clientTimeout = time.Second

// clientMaxInFlight bounds the requests under way; a tick with that many
// still waiting sends none.
const clientMaxInFlight = 2 * int(clientTimeout/ClientInterval)

// clientMaxRun bounds the client's life, should Stop never come.
const clientMaxRun = 30 * time.Minute

// Client asks the stack's address every ClientInterval until Stop.
type Client struct {
	lab  *Lab
	http *http.Client
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	probes   []Probe
	phases   []Phase
	lookErrs []string
}

// StartClient starts the downtime client. Call Stop when done.
func (l *Lab) StartClient(ctx context.Context) *Client {
	c := &Client{
		lab:  l,
		http: &http.Client{Timeout: clientTimeout, Transport: &http.Transport{DisableKeepAlives: true}},
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go c.run(ctx)
	return c
}

// Stop stops the client and waits for its requests under way.
func (c *Client) Stop() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	<-c.done
}

// Probes returns every request so far.
func (c *Client) Probes() []Probe {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Probe(nil), c.probes...)
}

// Phases returns the modelled stretches the client waited (EIPEdge).
func (c *Client) Phases() []Phase {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Phase(nil), c.phases...)
}

// LookupErrors returns the DescribeAddresses failures; the address then
// keeps leading where it did, as the client last saw it.
func (c *Client) LookupErrors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lookErrs...)
}

// router is what the address leads to. The client's lookups feed it
// (observe); each request reads it (current). Guarded by Client.mu.
type router struct {
	holder       string    // the holder moto named at the last lookup
	lookedAt     time.Time // when that lookup returned
	effective    string    // the instance the address leads to
	pendingSince time.Time // when the client first saw holder, if it is not effective yet
}

// observe records what a lookup returned at now.
func (c *Client) observe(r *router, holder string, now time.Time) {
	if holder != r.holder && holder != "" {
		r.pendingSince = now
	}
	r.holder, r.lookedAt = holder, now
	if holder == "" {
		// An address on no instance leads nowhere at once.
		r.effective = ""
	}
}

// current returns the instance the address leads to at now, and when the
// lookup it rests on returned: a new holder takes effect EIPEdge.Full after
// the client first saw it, a wait recorded as a phase.
func (c *Client) current(r *router, now time.Time) (string, time.Time) {
	if r.holder != r.effective && r.holder != "" && now.Sub(r.pendingSince) >= EIPEdge.Full {
		c.phases = append(c.phases, Phase{Name: EIPEdge.Name, Start: r.pendingSince, End: now, Full: now.Sub(r.pendingSince)})
		r.effective = r.holder
	}
	return r.effective, r.lookedAt
}

func (c *Client) run(ctx context.Context) {
	defer close(c.done)
	var wg sync.WaitGroup
	defer wg.Wait()
	var r router
	// The lookups run apart from the requests, so that a slow answer
	// from moto delays neither.
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.lookups(ctx, &r)
	}()
	inFlight := make(chan struct{}, clientMaxInFlight)
	deadline := time.After(clientMaxRun)
	ticker := time.NewTicker(ClientInterval)
	defer ticker.Stop()
	for n := 0; c.nextTick(ctx, deadline, ticker); n++ {
		c.mu.Lock()
		routed, lookedAt := c.current(&r, time.Now())
		c.mu.Unlock()
		select {
		case inFlight <- struct{}{}:
		default:
			continue
		}
		wg.Add(1)
		go func(write bool) {
			defer wg.Done()
			defer func() { <-inFlight }()
			p := c.ask(routed, write)
			p.LookedAt = lookedAt
			c.mu.Lock()
			c.probes = append(c.probes, p)
			c.mu.Unlock()
		}(n%clientWriteEvery == clientWriteEvery-1)
	}
}

// lookups asks moto who holds the address, a lookup at the start of every
// interval (or as soon as the last one returned, if it took longer), until
// the client stops.
func (c *Client) lookups(ctx context.Context, r *router) {
	deadline := time.After(clientMaxRun)
	ticker := time.NewTicker(ClientInterval)
	defer ticker.Stop()
	for {
		lookupCtx, cancel := context.WithTimeout(ctx, clientTimeout)
		// Under the lab's lock: while the lab assumes an instance role it
		// exempts moto's next request from IAM enforcement, and a lookup
		// in between would take the exemption.
		c.lab.mu.Lock()
		holder, err := c.lab.Holder(lookupCtx)
		c.lab.mu.Unlock()
		cancel()
		c.mu.Lock()
		if err != nil {
			// Unknown holder: the address keeps leading where it did.
			c.lookErrs = append(c.lookErrs, err.Error())
		} else {
			c.observe(r, holder, time.Now())
		}
		c.mu.Unlock()
		if !c.nextTick(ctx, deadline, ticker) {
			return
		}
	}
}

// nextTick waits for the ticker's next interval, and reports false instead
// once the client is stopped, ctx is done or the deadline has passed.
func (c *Client) nextTick(ctx context.Context, deadline <-chan time.Time, ticker *time.Ticker) bool {
	select {
	case <-c.stop:
		return false
	case <-ctx.Done():
		return false
	case <-deadline:
		return false
	case <-ticker.C:
		return true
	}
}

// ask sends one request to the instance the address leads to.
func (c *Client) ask(routed string, write bool) Probe {
	p := Probe{Sent: time.Now(), Write: write, Routed: routed}
	if routed == "" {
		p.Refused, p.Done = "the address leads to no instance", time.Now()
		return p
	}
	port, err := c.lab.appPort(routed)
	if err != nil {
		p.Refused, p.Done = err.Error(), time.Now()
		return p
	}
	method := http.MethodGet
	if write {
		method = http.MethodPost
	}
	from, counter, inherited, err := c.request(method, port)
	p.Done = time.Now()
	if err != nil {
		p.Refused = err.Error()
		return p
	}
	p.From, p.Counter, p.Inherited = from, counter, inherited
	return p
}

// request sends method to the application on port and parses its answer,
// "<instance id> <counter> <inherited>".
func (c *Client) request(method string, port int) (from string, counter, inherited int, err error) {
	req, err := http.NewRequest(method, "http://127.0.0.1:"+strconv.Itoa(port)+"/", nil)
	if err != nil {
		return "", 0, 0, err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return "", 0, 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1024))
	if err != nil {
		return "", 0, 0, err
	}
	if res.StatusCode != http.StatusOK {
		return "", 0, 0, fmt.Errorf("HTTP %d: %s", res.StatusCode, body)
	}
	fields := strings.Fields(string(body))
	if len(fields) == 3 {
		counter, err = strconv.Atoi(fields[1])
		if err == nil {
			inherited, err = strconv.Atoi(fields[2])
		}
		if err == nil {
			return fields[0], counter, inherited, nil
		}
	}
	return "", 0, 0, errors.New("an answer other than \"<instance id> <counter> <inherited>\": " + string(body))
}
