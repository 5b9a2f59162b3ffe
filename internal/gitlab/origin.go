package gitlab

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Where the token may go. The client sends the token in PRIVATE-TOKEN (or
// JOB-TOKEN), custom headers that Go's HTTP client keeps on every redirect,
// to any host (it strips only Authorization and Cookie). So:
//
//   - a redirect is followed only within the instance's origin (scheme,
//     host and port); one to another origin fails with a RedirectError that
//     names where GitLab redirected and the URL to configure instead;
//   - link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10,
//     fd00:ec2::254, 100.100.100.200) are refused at connect time, after
//     the name is resolved, unless Options.AllowLinkLocal says otherwise:
//     a GitLab URL typed in the server's Settings must not make the server
//     read its cloud credentials.

// RedirectError is a redirect to another origin, refused: the token is
// never sent there.
type RedirectError struct {
	From, To *url.URL
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("GitLab at %s redirected to another address (%s), where recce does not send the token; if GitLab moved, set the GitLab URL to %s (--gitlab-url, CI_SERVER_URL, or Settings)",
		origin(e.From), redacted(e.To), e.Suggested())
}

// Suggested is the instance URL the redirect points at: its origin and the
// path before /api/v4.
func (e *RedirectError) Suggested() string {
	p := e.To.Path
	if i := strings.Index(p, "/api/v4"); i >= 0 {
		p = p[:i]
	}
	return origin(e.To) + strings.TrimRight(p, "/")
}

// origin is scheme://host[:port] of u, lower case.
func origin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// redacted is u without its query (a redirect may carry a signed token in
// it) and without credentials.
func redacted(u *url.URL) string {
	v := *u
	v.User, v.RawQuery, v.Fragment = nil, "", ""
	return v.String()
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

// hostPort is u's host with its port, the scheme's default when none.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// checkRedirect follows redirects within the first request's origin only.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if first := via[0].URL; !sameOrigin(first, req.URL) {
		return &RedirectError{From: first, To: req.URL}
	}
	return nil
}

// metadataAddrs are cloud metadata services outside the link-local ranges.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("fd00:ec2::254"),   // AWS, IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// ErrLinkLocal is what errors.Is finds when the GitLab URL resolves to a
// link-local or metadata address and Options.AllowLinkLocal is off.
var ErrLinkLocal = errors.New("link-local address refused")

// refusedAddr tells whether an address may not be dialed without
// AllowLinkLocal.
func refusedAddr(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() {
		return true
	}
	for _, m := range metadataAddrs {
		if a == m {
			return true
		}
	}
	return false
}

// linkLocalError says what was refused and how to allow it.
type linkLocalError struct{ addr string }

func (e *linkLocalError) Error() string {
	return fmt.Sprintf("the GitLab URL leads to %s, a link-local or cloud metadata address: recce does not connect there unless its administrator allows it (recce server --allow-link-local-gitlab, recce gitlab --allow-link-local-gitlab)", e.addr)
}

func (e *linkLocalError) Unwrap() error { return ErrLinkLocal }

// dialControl refuses link-local and metadata addresses. It runs with the
// address being connected to, after name resolution: a name that resolves
// there (or is rebound there later) is refused as well.
func dialControl(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil // not an IP connection
	}
	if refusedAddr(ap.Addr()) {
		return &linkLocalError{addr: ap.Addr().Unmap().String()}
	}
	return nil
}

// guardedTransport is the default transport with the link-local guard: on
// the dialer, and on the proxy's target when a proxy is used (the proxy
// resolves names; an IP literal can still be refused here).
func guardedTransport(allowLinkLocal bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if allowLinkLocal {
		return t
	}
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: dialControl}
	t.DialContext = d.DialContext
	proxy := t.Proxy
	t.Proxy = func(r *http.Request) (*url.URL, error) {
		if a, err := netip.ParseAddr(strings.Trim(r.URL.Hostname(), "[]")); err == nil && refusedAddr(a) {
			return nil, &linkLocalError{addr: a.Unmap().String()}
		}
		if proxy == nil {
			return nil, nil
		}
		return proxy(r)
	}
	return t
}
