// Command ddbtap is a counting proxy in front of DynamoDB Local: it
// forwards every call and counts it by shape (operation, table, the key's
// item type, the request's top-level fields: ConsistentRead,
// ProjectionExpression, ...), with its request and answer sizes and the
// second it came in, so two load phases can be compared by what DynamoDB
// Local was asked to do per answer (docs/performance.md, issue 19's sixth
// pass). GET /_tap/sum?from=<unix s>&to=<unix s> prints the calls of that
// window by shape, with a first example of each; new connections count as
// the shape "(new connection)".
//
//	ddbtap -listen 127.0.0.1:20108 -to http://127.0.0.1:$DYNAMODB_PORT
//	ITR_DYNAMODB_ENDPOINT=http://127.0.0.1:20108 scripts/load.sh ...
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to serve on")
	to := flag.String("to", "", "DynamoDB Local's URL")
	flag.Parse()
	u, err := url.Parse(*to)
	if err != nil || u.Host == "" {
		log.Fatalf("ddbtap: -to %q: want DynamoDB Local's URL", *to)
	}
	t := newTap(u)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("ddbtap: %s -> %s", ln.Addr(), u)
	log.Fatal(t.server().Serve(ln))
}

// tap counts what it forwards.
type tap struct {
	proxy *httputil.ReverseProxy
	now   func() time.Time
	mu    sync.Mutex
	calls map[int64]map[string]*count // by second, by shape
}

type count struct {
	n                  int
	reqBytes, rspBytes int64
	example            string
}

func newTap(to *url.URL) *tap {
	p := httputil.NewSingleHostReverseProxy(to)
	p.Transport = &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, DisableCompression: true}
	return &tap{proxy: p, now: time.Now, calls: map[int64]map[string]*count{}}
}

func (t *tap) server() *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_tap/sum", t.sum)
	mux.HandleFunc("/", t.forward)
	return &http.Server{Handler: mux, ConnState: func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			t.add("(new connection)", 0, 0, "")
		}
	}}
}

func (t *tap) add(shape string, req, rsp int64, example string) {
	sec := t.now().Unix()
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.calls[sec]
	if m == nil {
		m = map[string]*count{}
		t.calls[sec] = m
	}
	c := m[shape]
	if c == nil {
		c = &count{example: example}
		m[shape] = c
	}
	c.n++
	c.reqBytes += req
	c.rspBytes += rsp
}

// sizeWriter counts the bytes of the answer.
type sizeWriter struct {
	http.ResponseWriter
	n int64
}

func (w *sizeWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	return w.ResponseWriter.Write(b)
}

func (t *tap) forward(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sw := &sizeWriter{ResponseWriter: w}
	t.proxy.ServeHTTP(sw, r)
	t.add(Shape(r.Header.Get("X-Amz-Target"), body), int64(len(body)), sw.n, string(body[:min(len(body), 400)]))
}

// Shape names a call by its operation and what DynamoDB Local does with
// it: the table, the index, the item type of the key (the sort key, or the
// partition key's first segment), and the request's other top-level
// fields, with the values of those that change the work (ConsistentRead,
// ProjectionExpression, Select, Limit's presence).
func Shape(target string, body []byte) string {
	if i := strings.LastIndexByte(target, '.'); i >= 0 {
		target = target[i+1:]
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(body, &m)
	var parts []string
	for k, v := range m {
		switch k {
		case "TableName", "IndexName", "ConsistentRead", "ProjectionExpression", "Select":
			parts = append(parts, k+"="+strings.Trim(string(v), `"`))
		case "Key":
			parts = append(parts, "Key="+keyShape(v))
		default:
			parts = append(parts, k)
		}
	}
	slices.Sort(parts)
	return strings.TrimSpace(target + " " + strings.Join(parts, " "))
}

// keyShape is a key's attribute names with the first '#'-separated
// segment of each value: T/ISSUE, TENANT/META.
func keyShape(raw json.RawMessage) string {
	var key map[string]map[string]string
	if json.Unmarshal(raw, &key) != nil {
		return "?"
	}
	var out []string
	for name, v := range key {
		for _, s := range v {
			seg, _, _ := strings.Cut(s, "#")
			out = append(out, name+":"+seg)
		}
	}
	slices.Sort(out)
	return "{" + strings.Join(out, ",") + "}"
}

func (t *tap) sum(w http.ResponseWriter, r *http.Request) {
	from, err1 := strconv.ParseInt(r.URL.Query().Get("from"), 10, 64)
	to, err2 := strconv.ParseInt(r.URL.Query().Get("to"), 10, 64)
	if err1 != nil || err2 != nil || to <= from {
		http.Error(w, "want ?from=<unix seconds>&to=<unix seconds>, from < to", http.StatusBadRequest)
		return
	}
	t.mu.Lock()
	sum := map[string]*count{}
	for sec, m := range t.calls {
		if sec < from || sec >= to {
			continue
		}
		for shape, c := range m {
			s := sum[shape]
			if s == nil {
				s = &count{example: c.example}
				sum[shape] = s
			}
			s.n += c.n
			s.reqBytes += c.reqBytes
			s.rspBytes += c.rspBytes
		}
	}
	t.mu.Unlock()
	shapes := make([]string, 0, len(sum))
	total := 0
	for s, c := range sum {
		shapes = append(shapes, s)
		if s != "(new connection)" {
			total += c.n
		}
	}
	slices.SortFunc(shapes, func(a, b string) int { return sum[b].n - sum[a].n })
	fmt.Fprintf(w, "%d calls in %d s\n", total, to-from)
	for _, s := range shapes {
		c := sum[s]
		fmt.Fprintf(w, "%7d  %s\n", c.n, s)
		if c.example != "" {
			fmt.Fprintf(w, "         request %d B, answer %d B on average; e.g. %s\n", c.reqBytes/int64(c.n), c.rspBytes/int64(c.n), c.example)
		}
	}
}
