// Package testdns is a tiny DNS server for tests: it answers A queries
// for the names it is given on a loopback UDP port, and Resolver is a Go
// resolver that asks only it. Written on golang.org/x/net/dns/dnsmessage
// (already a dependency) rather than a DNS server library: tests need A
// answers and NXDOMAIN, nothing more.
package testdns

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// Resolver serves names: each A query for a name is answered with the
// next address of its list, the last one from then on (a list of two is
// DNS rebinding: the first lookup public, every later one not). Other
// names are NXDOMAIN; other query types of a known name have no answer.
// The server stops at the end of the test.
func Resolver(t testing.TB, names map[string][]string) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testdns: %v", err)
	}
	t.Cleanup(func() { pc.Close() })
	var mu sync.Mutex
	asked := map[string]int{}
	next := func(name string) (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		l, ok := names[name]
		if !ok || len(l) == 0 {
			return "", false
		}
		i := min(asked[name], len(l)-1)
		asked[name]++
		return l[i], true
	}
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if out, ok := answer(buf[:n], names, next); ok {
				_, _ = pc.WriteTo(out, from)
			}
		}
	}()
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

func answer(msg []byte, names map[string][]string, next func(string) (string, bool)) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	name := strings.TrimSuffix(q.Name.String(), ".")
	if _, known := names[name]; !known {
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, RCode: dnsmessage.RCodeNameError})
		_ = b.StartQuestions()
		_ = b.Question(q)
		out, err := b.Finish()
		return out, err == nil
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
	b.EnableCompression()
	_ = b.StartQuestions()
	_ = b.Question(q)
	if q.Type == dnsmessage.TypeA {
		if ip, ok := next(name); ok {
			_ = b.StartAnswers()
			_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0},
				dnsmessage.AResource{A: netip.MustParseAddr(ip).As4()})
		}
	}
	out, err := b.Finish()
	return out, err == nil
}
