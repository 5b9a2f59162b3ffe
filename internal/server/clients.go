package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Failed credentials are limited per client address: every wrong sign-in,
// bearer token (RECCE_SERVER_TOKEN or a server API token), CI job token or
// webhook secret counts against the address it came from, and an address
// with maxAuthFailures failures in authFailureWindow gets 429 for any
// request carrying credentials until the window ends, the right token
// included (a guesser learns nothing more). Another address is not
// affected: a guesser cannot lock the real users out. The count is per
// instance; with N instances behind a balancer, a guesser gets N times the
// tries, which the token's length makes worthless anyway.

const (
	maxAuthFailures   = 10
	authFailureWindow = time.Minute
	// maxTrackedClients bounds the memory of the limiter: past it, expired
	// entries are swept, then arbitrary ones dropped.
	maxTrackedClients = 10_000
)

// clientKey is what a client is counted by: its IPv4 address, or the /64
// of its IPv6 address (one machine usually holds a whole /64).
func clientKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	return netip.PrefixFrom(a, a.BitLen())
}

type failureWindow struct {
	start time.Time
	count int
}

type failureLimiter struct {
	now     func() time.Time
	mu      sync.Mutex
	clients map[netip.Prefix]*failureWindow
}

func newFailureLimiter(now func() time.Time) *failureLimiter {
	return &failureLimiter{now: now, clients: map[netip.Prefix]*failureWindow{}}
}

// blocked tells whether the client has used up its failures, and for how
// long still.
func (l *failureLimiter) blocked(k netip.Prefix) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.clients[k]
	if w == nil {
		return 0, false
	}
	left := w.start.Add(authFailureWindow).Sub(l.now())
	if left <= 0 {
		delete(l.clients, k)
		return 0, false
	}
	return left, w.count >= maxAuthFailures
}

// fail counts a failure of the client.
func (l *failureLimiter) fail(k netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.clients[k]
	if w == nil || now.Sub(w.start) >= authFailureWindow {
		if len(l.clients) >= maxTrackedClients {
			l.sweep(now)
		}
		l.clients[k] = &failureWindow{start: now, count: 1}
		return
	}
	w.count++
}

func (l *failureLimiter) sweep(now time.Time) {
	for k, w := range l.clients {
		if now.Sub(w.start) >= authFailureWindow {
			delete(l.clients, k)
		}
	}
	for k := range l.clients {
		if len(l.clients) < maxTrackedClients {
			return
		}
		delete(l.clients, k)
	}
}

// carriesCredentials tells whether a request presents a secret that the
// server checks: those are the requests a guesser sends.
func carriesCredentials(r *http.Request) bool {
	return r.Header.Get("Authorization") != "" || r.Header.Get("JOB-TOKEN") != "" ||
		r.Header.Get("X-Gitlab-Token") != "" || (r.Method == http.MethodPost && r.URL.Path == "/api/login")
}

// clientAddr is the address a request comes from: the connection's peer;
// when that peer is a trusted proxy (--trusted-proxy), the rightmost
// address of X-Forwarded-For that is not a trusted proxy. Without trusted
// proxies X-Forwarded-For is ignored: anyone can write it.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := addrOf(r.RemoteAddr)
	if !peer.IsValid() || !inPrefixes(peer, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer // a header we cannot read: count the proxy
		}
		a = a.Unmap()
		if !inPrefixes(a, trusted) {
			return a
		}
	}
	return peer
}

// addrOf reads the address of a RemoteAddr ("ip:port").
func addrOf(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads --trusted-proxy values: addresses or CIDR
// ranges.
func ParseTrustedProxies(values []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if p, err := netip.ParsePrefix(f); err == nil {
				out = append(out, p.Masked())
				continue
			}
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, &ProxyError{Value: f}
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out, nil
}

// ProxyError is a --trusted-proxy value that is neither an address nor a
// CIDR range.
type ProxyError struct{ Value string }

func (e *ProxyError) Error() string {
	return "--trusted-proxy " + e.Value + ": give the reverse proxy's address (10.0.0.5) or range (10.0.0.0/24)"
}
