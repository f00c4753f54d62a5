package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	"github.com/issuetracker/issuetracker/internal/httpapi"
)

// ProblemListener wraps the listener of a server that serves the API so that
// the answers Go's HTTP server writes itself, before any handler runs, are
// problem+json like every other error of the API.
//
// net/http refuses a request line or header it cannot parse (a path with a
// bad percent-escape such as /v1/issues/%ZZ, a raw control byte, a malformed
// header line, headers over the server's MaxHeaderBytes, an unsupported
// Transfer-Encoding) by writing a text/plain answer straight to the
// connection and closing it: no handler, and so no CheckEdge, sees the
// request. It offers no hook for that answer, so the connection rewrites
// it: the server writes it in one Write, in one fixed shape
// ("HTTP/1.1 <status> <text>" + plainErrorHeaders + body), which no answer
// of a handler has (those always carry a Date header).
func ProblemListener(ln net.Listener) net.Listener { return problemListener{ln} }

type problemListener struct{ net.Listener }

func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return problemConn{c}, nil
}

type problemConn struct{ net.Conn }

func (c problemConn) Write(b []byte) (int, error) {
	p, ok := ServerProblem(b)
	if !ok {
		return c.Conn.Write(b)
	}
	if _, err := c.Conn.Write(p); err != nil {
		return 0, err
	}
	return len(b), nil
}

// plainErrorHeaders are the headers of net/http's own error answers
// (server.go, conn.serve).
const plainErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// ServerProblem rewrites one of net/http's own error answers (b, as the
// server writes it) into the same status as a problem+json answer; ok is
// false for anything else, which is left as it is.
func ServerProblem(b []byte) (answer []byte, ok bool) {
	const proto = "HTTP/1.1 "
	if !bytes.HasPrefix(b, []byte(proto)) || len(b) < len(proto)+3 {
		return nil, false
	}
	i := bytes.Index(b, []byte(plainErrorHeaders))
	if i < 0 || bytes.ContainsAny(b[:i], "\r\n") {
		return nil, false
	}
	status, err := strconv.Atoi(string(b[len(proto) : len(proto)+3]))
	if err != nil || status < 400 || status > 599 {
		return nil, false
	}
	said := string(b[i+len(plainErrorHeaders):])
	code, detail := "malformed_request", "the request line or a header does not parse (a bad percent-escape in the path, a control byte, a malformed header line)"
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		code, detail = "request_header_too_large", "the request's headers are larger than the server reads"
	case http.StatusNotImplemented:
		code, detail = "not_implemented", said
	case http.StatusBadRequest:
		if said != "400 Bad Request" {
			detail = said
		}
	}
	reqID := uuid.NewString()
	body, _ := json.Marshal(httpapi.Problem{Type: httpapi.ProblemTypeBase + code, Title: http.StatusText(status), Status: status,
		Detail: detail, Code: code, RequestID: reqID})
	body = append(body, '\n')
	return fmt.Appendf(nil, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s: %s\r\nConnection: close\r\n\r\n%s",
		status, http.StatusText(status), httpapi.ProblemContentType, len(body), httpapi.RequestIDHeader, reqID, body), true
}
