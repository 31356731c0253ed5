// Package dns is the DNS adapter of core/bdxl: it asks one configured DNS server
// (HOST:PORT) for the NAPTR records of OASIS BDXL 1.0 §3 (RFC 3403) and the CNAME of
// the PEPPOL SML form, with a timeout per query, using github.com/miekg/dns.
//
// Answers are taken as the server gives them (the server is a recursive resolver the
// operator trusts); DNSSEC is not validated here.
package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/brevduva/brevduva/core/bdxl"
)

// DefaultTimeout bounds one query (UDP, and its TCP retry on truncation).
const DefaultTimeout = 3 * time.Second

// maxChain bounds CNAME chains followed by LookupHost.
const maxChain = 8

// Resolver queries Server directly. The zero Timeout means DefaultTimeout.
type Resolver struct {
	Server  string // HOST:PORT of a DNS server
	Timeout time.Duration
}

var _ bdxl.Resolver = (*Resolver)(nil)

// New returns a Resolver for server (HOST:PORT).
func New(server string) (*Resolver, error) {
	if _, _, err := net.SplitHostPort(server); err != nil {
		return nil, fmt.Errorf("dns: server %q: %w", server, err)
	}
	return &Resolver{Server: server}, nil
}

func (r *Resolver) timeout() time.Duration {
	if r.Timeout <= 0 {
		return DefaultTimeout
	}
	return r.Timeout
}

// exchange sends one question and returns the answer section. NXDOMAIN and an empty
// answer wrap bdxl.ErrNotFound.
func (r *Resolver) exchange(ctx context.Context, name string, qtype uint16) ([]mdns.RR, error) {
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), qtype)
	m.RecursionDesired = true
	ctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	c := &mdns.Client{Timeout: r.timeout()}
	in, _, err := c.ExchangeContext(ctx, m, r.Server)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, m, r.Server)
	}
	if err != nil {
		return nil, fmt.Errorf("dns: %s %s via %s: %w", mdns.TypeToString[qtype], name, r.Server, err)
	}
	switch in.Rcode {
	case mdns.RcodeSuccess:
	case mdns.RcodeNameError:
		return nil, fmt.Errorf("dns: %s %s: nxdomain: %w", mdns.TypeToString[qtype], name, bdxl.ErrNotFound)
	default:
		return nil, fmt.Errorf("dns: %s %s: rcode %s", mdns.TypeToString[qtype], name, mdns.RcodeToString[in.Rcode])
	}
	return in.Answer, nil
}

// LookupNAPTR returns the NAPTR records at name (following a CNAME the server has
// already resolved in its answer).
func (r *Resolver) LookupNAPTR(ctx context.Context, name string) ([]bdxl.NAPTR, error) {
	ans, err := r.exchange(ctx, name, mdns.TypeNAPTR)
	if err != nil {
		return nil, err
	}
	var out []bdxl.NAPTR
	for _, rr := range ans {
		if n, ok := rr.(*mdns.NAPTR); ok {
			out = append(out, bdxl.NAPTR{
				Order: n.Order, Preference: n.Preference,
				Flags: n.Flags, Service: n.Service, Regexp: n.Regexp,
				Replacement: n.Replacement,
			})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dns: NAPTR %s: no record: %w", name, bdxl.ErrNotFound)
	}
	return out, nil
}

// LookupCNAME returns the target of the CNAME at name, without the trailing dot.
func (r *Resolver) LookupCNAME(ctx context.Context, name string) (string, error) {
	ans, err := r.exchange(ctx, name, mdns.TypeCNAME)
	if err != nil {
		return "", err
	}
	for _, rr := range ans {
		if c, ok := rr.(*mdns.CNAME); ok && strings.EqualFold(c.Hdr.Name, mdns.Fqdn(name)) {
			return strings.TrimSuffix(c.Target, "."), nil
		}
	}
	return "", fmt.Errorf("dns: CNAME %s: no record: %w", name, bdxl.ErrNotFound)
}

// LookupHost returns the IPv4 and IPv6 addresses of name, following up to 8 CNAMEs.
func (r *Resolver) LookupHost(ctx context.Context, name string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(name); err == nil {
		return []netip.Addr{a}, nil
	}
	var out []netip.Addr
	var errs []error
	for _, qt := range []uint16{mdns.TypeA, mdns.TypeAAAA} {
		cur := mdns.Fqdn(name)
		for i := 0; i < maxChain; i++ {
			ans, err := r.exchange(ctx, cur, qt)
			if err != nil {
				errs = append(errs, err)
				break
			}
			next, found := "", false
			for _, rr := range ans {
				switch v := rr.(type) {
				case *mdns.A:
					if a, ok := netip.AddrFromSlice(v.A.To4()); ok {
						out, found = append(out, a), true
					}
				case *mdns.AAAA:
					if a, ok := netip.AddrFromSlice(v.AAAA); ok {
						out, found = append(out, a), true
					}
				case *mdns.CNAME:
					if strings.EqualFold(v.Hdr.Name, cur) {
						next = v.Target
					}
				}
			}
			if found || next == "" {
				break
			}
			cur = next
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dns: host %s: no address: %w", name, errors.Join(append(errs, bdxl.ErrNotFound)...))
	}
	return out, nil
}

// DialContext dials addr ("host:port") after resolving host through r, so that an HTTP
// client reaches SMP hosts that exist only in the configured DNS (http.Transport.DialContext).
func (r *Resolver) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dns: dial %q: %w", addr, err)
	}
	ips, err := r.LookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	var last error
	for _, ip := range ips {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, fmt.Errorf("dns: dial %s: %w", addr, last)
}

// SystemServer returns the first nameserver of /etc/resolv.conf as HOST:PORT.
func SystemServer() (string, error) {
	cfg, err := mdns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return "", fmt.Errorf("dns: system resolver: %w", err)
	}
	if len(cfg.Servers) == 0 {
		return "", fmt.Errorf("dns: system resolver: no nameserver in /etc/resolv.conf")
	}
	return net.JoinHostPort(cfg.Servers[0], cfg.Port), nil
}
