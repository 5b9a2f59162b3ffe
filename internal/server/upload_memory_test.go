package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/check"
)

// paddedState is a state file of merge request iid whose base manifest
// carries about mb megabytes more, in many small JSON values (as a large
// project's manifest does).
func paddedState(t *testing.T, iid int64, mb int) []byte {
	t.Helper()
	st, err := check.Decode(bytes.NewReader(stateFile(t, iid, lineageCheck)))
	if err != nil {
		t.Fatal(err)
	}
	pad := make([]byte, 0, mb<<20+(1<<20))
	pad = append(pad, `{"zz_padding": {`...)
	const sql = `"select id, name, amount from orders where status = 'shipped' and amount > 100 order by id"`
	for i := 0; len(pad) < mb<<20; i++ {
		if i > 0 {
			pad = append(pad, ',')
		}
		pad = append(pad, `"macro.pad.m`...)
		pad = strconv.AppendInt(pad, int64(i), 10)
		pad = append(pad, `": {"macro_sql": `+sql+`, "depends_on": {"macros": []}}`...)
	}
	pad = append(pad, `},`...)
	st.Artifacts.Base.Manifest = append(pad, st.Artifacts.Base.Manifest[1:]...)
	var b bytes.Buffer
	if err := st.Encode(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return b.Bytes()
}

// Issue 11, finding 9: a small gzip upload that expands to a large state
// file is taken without holding the state in memory: the memory the
// server allocates to take it is a small part of its size (before: more
// than twice the size). Measured as allocated bytes, not time.
func TestUploadMemoryIsBounded(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.Jobs.Workers = -1 }) // the upload alone, no summary job
	e := connected(t, h)
	mr := e.mrs[0]
	const mb = 96
	body := gzipBytes(t, paddedState(t, mr.IID, mb))
	headers := append(e.pipeline([]*harness{h}, mr), "Content-Encoding", "gzip")
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := h.upload(mr.IID, body, headers...)
	runtime.ReadMemStats(&after)
	if r.status != 202 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	alloc := int64(after.TotalAlloc - before.TotalAlloc)
	t.Logf("a %d MB state file (%d KB gzipped): %d MB allocated to take it", mb, len(body)>>10, alloc>>20)
	if alloc > 24<<20 {
		t.Errorf("taking a %d MB upload allocated %d MB: it is held in memory", mb, alloc>>20)
	}
}

// Past MaxUploadsInFlight (and UploadQueueWait, here none), an upload is
// answered 503 with Retry-After (recce upload retries), and taken once a
// slot is free.
func TestUploadsInFlightAreBounded(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.MaxUploadsInFlight, o.UploadQueueWait = 1, -1 })
	e := connected(t, h)
	mr := e.mrs[0]
	release, ok := h.srv.heavy.try() // an upload in progress
	if !ok {
		t.Fatal("no free slot")
	}
	r := h.upload(mr.IID, stateFile(t, mr.IID, lineageCheck), e.pipeline([]*harness{h}, mr)...)
	if r.status != 503 || r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "retries by itself") {
		t.Fatalf("an upload past the bound: %d %s", r.status, r.body)
	}
	release()
	if r := h.upload(mr.IID, stateFile(t, mr.IID, lineageCheck), e.pipeline([]*harness{h}, mr)...); r.status != 202 {
		t.Fatalf("after the slot is free: %d %s", r.status, r.body)
	}
}

// A gzip bomb (64 KB expanding to 64 MB of zeros) is refused at the
// server's limit, which counts the decompressed bytes.
func TestGzipBombRefused(t *testing.T) {
	h := newHarness(t, jaffleEnv(t), func(o *Options) { o.MaxUploadSize = 8 << 20 })
	e := connected(t, h)
	mr := e.mrs[0]
	bomb := gzipBytes(t, make([]byte, 64<<20))
	r := h.upload(mr.IID, bomb, append(e.pipeline([]*harness{h}, mr), "Content-Encoding", "gzip")...)
	if r.status != 413 || !strings.Contains(string(r.body), "--max-upload-size") {
		t.Fatalf("a gzip bomb of %d KB: %d %s", len(bomb)>>10, r.status, r.body)
	}
	if sess, err := h.store.Session(t.Context(), e.project.ID, mr.IID); err == nil && sess.Revision != 0 {
		t.Errorf("the bomb was recorded: %+v", sess)
	}
}
