package gitlab

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"gitlab.com/recce-go/recce/internal/gitlab/gitlabtest"
)

func (e *env) verifyJob(t *testing.T, token string) (*Job, error) {
	t.Helper()
	o := Options{URL: e.fake.URL, Retry: fast, RequestTimeout: 2 * time.Second, Logger: newTextLogger(e.logs)}
	if e.fake.HTTP.TLS != nil {
		o.Transport = e.fake.HTTP.Client().Transport
	}
	j, err := VerifyJobTokenWith(context.Background(), o, token)
	if err != nil {
		assertNoTokens(t, e.fake, "error", err.Error(), token)
	}
	return j, err
}

func TestVerifyJobTokenOfARunningJob(t *testing.T) {
	e := setup(t)
	head := strings.Repeat("a", 40)
	j := e.fake.AddMergeRequestJob(e.project, 1, head, false)
	got, err := e.verifyJob(t, j.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != j.ID || got.ProjectID != 42 || got.PipelineID != j.PipelineID || got.SHA != head ||
		got.Ref != "refs/merge-requests/1/head" || got.PipelineSource != "merge_request_event" || got.Status != "running" {
		t.Fatalf("job = %+v", got)
	}
	if err := got.CheckMergeRequestUpload(42, 1, head); err != nil {
		t.Fatalf("the merge request's own pipeline was refused: %v", err)
	}
	// The request carried the token in JOB-TOKEN, not in the URL.
	for _, r := range e.fake.Requests() {
		if strings.Contains(r.Query, j.Token) {
			t.Fatal("the job token was sent in the query string")
		}
	}
}

func TestVerifyJobTokenRefusals(t *testing.T) {
	e := setup(t)
	finished := e.fake.AddJob(e.project, "feature", strings.Repeat("b", 40))
	e.fake.FinishJob(finished)
	for name, tok := range map[string]string{
		"finished job":  finished.Token,
		"unknown token": "glcbt-64_not-a-real-token-at-all",
		"empty":         "",
		"a PAT":         e.token.Value,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.verifyJob(t, tok)
			if !errors.Is(err, ErrInvalidJobToken) || KindOf(err) != KindInvalidJobToken {
				t.Fatalf("err = %v (kind %s)", err, KindOf(err))
			}
			if !strings.Contains(err.Error(), "CI_JOB_TOKEN") {
				t.Fatalf("the error does not say what to do: %v", err)
			}
		})
	}
}

func TestVerifyJobTokenWhenGitLabIsDown(t *testing.T) {
	e := setup(t)
	j := e.fake.AddJob(e.project, "feature", strings.Repeat("c", 40))

	// A short outage is retried away (a read is safe to repeat).
	e.fake.Inject(gitlabtest.Fault{Path: "/job", Status: http.StatusBadGateway, Body: "bad gateway", Times: 2})
	if got, err := e.verifyJob(t, j.Token); err != nil || got.ID != j.ID {
		t.Fatalf("after a short outage: %+v, %v", got, err)
	}
	// A 502 that lasts: GitLab's failure, not the uploader's.
	e.fake.Inject(gitlabtest.Fault{Path: "/job", Status: http.StatusBadGateway, Body: "bad gateway", Times: 100})
	_, err := e.verifyJob(t, j.Token)
	if errors.Is(err, ErrInvalidJobToken) || KindOf(err) != KindServer {
		t.Fatalf("502: %v (kind %s)", err, KindOf(err))
	}

	// Nothing listening.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	_, err = VerifyJobTokenWith(context.Background(), Options{URL: "http://" + addr, Retry: fast, RequestTimeout: time.Second}, j.Token)
	if errors.Is(err, ErrInvalidJobToken) || KindOf(err) != KindUnreachable {
		t.Fatalf("unreachable: %v (kind %s)", err, KindOf(err))
	}
	assertNoTokens(t, e.fake, "error", err.Error(), j.Token)
}

func TestVerifyJobTokenThroughTLSAndSubPath(t *testing.T) {
	e := setup(t, gitlabtest.WithTLS(), gitlabtest.WithPathPrefix("/gitlab"))
	j := e.fake.AddJob(e.project, "feature", strings.Repeat("d", 40))
	got, err := e.verifyJob(t, j.Token)
	if err != nil || got.ID != j.ID {
		t.Fatalf("job = %+v, %v", got, err)
	}
	// Without the CA, a TLS failure: GitLab's side, not the token.
	_, err = VerifyJobToken(context.Background(), e.fake.URL, j.Token)
	if errors.Is(err, ErrInvalidJobToken) || KindOf(err) != KindTLS {
		t.Fatalf("untrusted certificate: %v (kind %s)", err, KindOf(err))
	}
}

func TestCheckMergeRequestUpload(t *testing.T) {
	head, old, merge := strings.Repeat("a", 40), strings.Repeat("0", 40), strings.Repeat("m", 40)
	job := func(ref, sha, source string) *Job {
		return &Job{ID: 9, ProjectID: 42, Ref: ref, SHA: sha, PipelineSource: source}
	}
	for _, c := range []struct {
		name string
		job  *Job
		ok   bool
		says string
	}{
		{"branch pipeline on the head", job("feature", head, "push"), true, ""},
		{"merge request pipeline on the head", job("refs/merge-requests/7/head", head, "merge_request_event"), true, ""},
		{"merged results pipeline", job("refs/merge-requests/7/merge", merge, "merge_request_event"), true, ""},
		{"merge train", job("refs/merge-requests/7/train", merge, "merge_request_event"), true, ""},
		{"older head", job("refs/merge-requests/7/head", old, "merge_request_event"), false, "the head of !7 is aaaaaaaa"},
		{"branch pipeline on another commit", job("feature", old, "push"), false, "ran on commit 00000000"},
		{"another merge request", job("refs/merge-requests/8/merge", merge, "merge_request_event"), false, "!8, not !7"},
		{"another merge request on the same commit", job("refs/merge-requests/8/head", head, "merge_request_event"), false, "!8"},
		{"another project", &Job{ID: 9, ProjectID: 43, Ref: "feature", SHA: head}, false, "project 43"},
	} {
		err := c.job.CheckMergeRequestUpload(42, 7, head)
		if c.ok != (err == nil) {
			t.Errorf("%s: err = %v", c.name, err)
			continue
		}
		if err != nil && (!errors.Is(err, ErrJobNotForMergeRequest) || !strings.Contains(err.Error(), c.says)) {
			t.Errorf("%s: err = %v, want it to say %q", c.name, err, c.says)
		}
	}
	// An unknown head never matches an empty sha.
	if err := (&Job{ProjectID: 42, Ref: "feature"}).CheckMergeRequestUpload(42, 7, ""); err == nil {
		t.Error("an empty sha matched an unknown head")
	}
}
