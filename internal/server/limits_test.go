package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowBody opens a connection to the server and sends a request whose body
// stops after its first byte.
func slowBody(t *testing.T, h *harness, method, path string, headers ...string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(h.http.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n", method, path)
	for i := 0; i+1 < len(headers); i += 2 {
		req += headers[i] + ": " + headers[i+1] + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n{"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// answerOf waits (at most 30 s: far beyond the server's limit) for the
// server to answer on conn, and returns the status, or 0 when the server
// kept the connection open without a word.
func answerOf(t *testing.T, conn net.Conn) int {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return 0
		}
		return -1 // closed without an answer: cut off as well
	}
	res.Body.Close()
	return res.StatusCode
}

// Issue 11, finding 8: 20 unauthenticated sign-ins whose bodies never
// finish are cut off when the body's read time is up (408), instead of
// holding their connections open forever.
func TestSlowBodiesAreCutOff(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.Token = serverToken; o.BodyTimeout = 200 * time.Millisecond })
	h.addSecrets(serverToken)
	var conns []net.Conn
	for range 20 {
		conns = append(conns, slowBody(t, h, "POST", "/api/login", "Sec-Fetch-Site", "same-origin"))
	}
	for i, c := range conns {
		if st := answerOf(t, c); st != http.StatusRequestTimeout && st != -1 {
			t.Fatalf("slow sign-in %d: status %d (0: the connection stayed open)", i, st)
		}
	}
	big := `{"token": "` + strings.Repeat("x", maxJSONBody+1) + `"}`
	if r := h.request("POST", "/api/login", big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a large sign-in body: %d", r.status)
	}
}

// An upload gets the longer upload limit: one whose body comes slower than
// the JSON limit allows is taken.
func TestUploadsGetTheirOwnBodyTimeout(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.BodyTimeout = 200 * time.Millisecond })
	e := connected(t, h)
	mr := e.mrs[0]
	state := stateFile(t, mr.IID, lineageCheck)
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.CloseWithError(io.ErrUnexpectedEOF) }) // before the server stops, if the test fails
	req, err := http.NewRequest("POST", fmt.Sprintf("%s/api/mr/%d/upload", h.http.URL, mr.IID), pr)
	if err != nil {
		t.Fatal(err)
	}
	for i, hd := 0, e.pipeline([]*harness{h}, mr); i+1 < len(hd); i += 2 {
		req.Header.Set(hd[i], hd[i+1])
	}
	req.ContentLength = int64(len(state))
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		res.Body.Close()
		done <- result{status: res.StatusCode}
	}()
	pw.Write(state[:len(state)/2])
	// A JSON body started now is cut off: the JSON limit has passed for
	// the upload too by then.
	if st := answerOf(t, slowBody(t, h, "POST", "/api/checks")); st != http.StatusRequestTimeout && st != -1 {
		t.Fatalf("slow JSON body: %d", st)
	}
	pw.Write(state[len(state)/2:])
	pw.Close()
	if r := <-done; r.err != nil || r.status != http.StatusAccepted {
		t.Fatalf("slow upload: %d %v", r.status, r.err)
	}
}
