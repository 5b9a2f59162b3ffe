package store

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

func uploadBlob(iid int64, ref string) Upload {
	u := upload(iid, "aaa", StatusUpToDate)
	u.ArtifactsBlob, u.Jobs = ref, nil
	return u
}

// deleter records what CollectBlobs deletes, failing for the refs in fail.
type deleter struct {
	mu      sync.Mutex
	deleted []string
	fail    map[string]bool
}

func (d *deleter) del(_ context.Context, ref string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail[ref] {
		return errors.New("the bucket said no")
	}
	d.deleted = append(d.deleted, ref)
	return nil
}

func (d *deleter) take() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	got := d.deleted
	d.deleted = nil
	slices.Sort(got)
	return got
}

func TestBlobsAreCollectedOnceNoSessionUsesThem(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		clk := newClock(s)
		d := &deleter{}
		collect := func() []string {
			t.Helper()
			if _, err := s.CollectBlobs(ctx, time.Hour, 0, d.del); err != nil {
				t.Fatal(err)
			}
			return d.take()
		}
		for iid, ref := range map[int64]string{1: "sha256:a", 2: "sha256:shared", 3: "sha256:shared"} {
			if _, err := s.RecordUpload(ctx, uploadBlob(iid, ref)); err != nil {
				t.Fatal(err)
			}
		}
		clk.Add(2 * time.Hour)
		if got := collect(); len(got) != 0 {
			t.Fatalf("blobs in use were deleted: %v", got)
		}

		// A new upload replaces !1's blob and !2's; the shared one is still !3's.
		for iid, ref := range map[int64]string{1: "sha256:b", 2: "sha256:c"} {
			if _, err := s.RecordUpload(ctx, uploadBlob(iid, ref)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.NoteBlob(ctx, "sha256:refused"); err != nil {
			t.Fatal(err)
		}
		clk.Add(30 * time.Minute)
		if got := collect(); len(got) != 0 {
			t.Fatalf("deleted within the grace period of their replacement: %v", got)
		}
		clk.Add(31 * time.Minute)
		if got := collect(); !slices.Equal(got, []string{"sha256:a", "sha256:refused"}) {
			t.Fatalf("collected %v, want a and refused", got)
		}
		if got := collect(); len(got) != 0 {
			t.Fatalf("collected twice: %v", got)
		}

		// A blob the backend cannot delete stays known; the others go.
		if _, err := s.RecordUpload(ctx, uploadBlob(3, "sha256:d")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordUpload(ctx, uploadBlob(2, "sha256:e")); err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * time.Hour)
		d.fail = map[string]bool{"sha256:shared": true}
		n, err := s.CollectBlobs(ctx, time.Hour, 0, d.del)
		if n != 1 || err == nil || !slices.Equal(d.take(), []string{"sha256:c"}) {
			t.Fatalf("with a failure: %d %v", n, err)
		}
		d.fail = nil
		if got := collect(); !slices.Equal(got, []string{"sha256:shared"}) {
			t.Fatalf("next round: %v", got)
		}
	})
}

// An upload of a blob being collected waits for the collection to end (and
// then knows the blob again, for the server to find it gone and ask for it
// again); it never records a session on a blob deleted after it.
func TestAnUploadWaitsForTheCollectionOfItsBlob(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		collector, uploader := b.open(t), b.open(t)
		clk := newClock(collector, uploader)
		if _, err := uploader.RecordUpload(ctx, uploadBlob(1, "sha256:old")); err != nil {
			t.Fatal(err)
		}
		if _, err := uploader.RecordUpload(ctx, uploadBlob(1, "sha256:new")); err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * time.Hour)

		var deleteEnded, recorded time.Time
		done := make(chan error, 1)
		n, err := collector.CollectBlobs(ctx, time.Hour, 0, func(ctx context.Context, ref string) error {
			// Mid-deletion, a pipeline uploads the same bytes to !2.
			go func() {
				_, err := uploader.RecordUpload(ctx, uploadBlob(2, ref))
				recorded = time.Now()
				done <- err
			}()
			time.Sleep(300 * time.Millisecond)
			deleteEnded = time.Now()
			return nil
		})
		if err != nil || n != 1 {
			t.Fatalf("collect: %d %v", n, err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if recorded.Before(deleteEnded) {
			t.Fatalf("the upload was recorded %v before the deletion ended", deleteEnded.Sub(recorded))
		}
		// Known again, and used: the next rounds leave it alone.
		clk.Add(2 * time.Hour)
		if n, err := collector.CollectBlobs(ctx, time.Hour, 0, func(context.Context, string) error {
			t.Error("a used blob was deleted")
			return nil
		}); err != nil || n != 0 {
			t.Fatalf("second round: %d %v", n, err)
		}
	})
}
