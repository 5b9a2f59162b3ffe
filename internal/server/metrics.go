package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"gitlab.com/recce-go/recce/internal/store"
)

// Prometheus metrics, served at GET /metrics (behind RECCE_SERVER_TOKEN
// like the API when one is set: scrape with a bearer token). Each server
// has its own registry, so that several servers in one process (tests)
// do not share counters. Labels are bounded: routes are the patterns of
// the route table, never raw paths.
type metrics struct {
	reg             *prometheus.Registry
	handler         http.Handler
	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	jobs            *prometheus.CounterVec
	jobDuration     *prometheus.HistogramVec
	gitlabRequests  *prometheus.CounterVec
	gitlabDuration  prometheus.Histogram
	rateLimitWaits  *prometheus.CounterVec
	rateLimitWaited *prometheus.CounterVec
	uploads         *prometheus.CounterVec
	blobsCollected  prometheus.Counter
}

func newMetrics(st *store.Store) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "recce_http_requests_total",
		Help: "HTTP requests answered, by route (the route table's pattern), method and status."}, []string{"route", "method", "status"})
	m.requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "recce_http_request_duration_seconds",
		Help: "Time to answer HTTP requests, by route.", Buckets: prometheus.DefBuckets}, []string{"route"})
	m.jobs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "recce_jobs_total",
		Help: "Job runs by kind and outcome: done, retry (failed, will run again), dead (failed for good), deferred (waiting for a rate limit), interrupted (the server stopped), lease_lost."},
		[]string{"kind", "outcome"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "recce_job_duration_seconds",
		Help: "Time a job run took, by kind.", Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}}, []string{"kind"})
	m.gitlabRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "recce_gitlab_requests_total",
		Help: "Requests to GitLab (each attempt), by method and status; status \"error\" when no answer came (timeout, connection refused)."},
		[]string{"method", "status"})
	m.gitlabDuration = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "recce_gitlab_request_duration_seconds",
		Help: "Time GitLab took to answer a request.", Buckets: prometheus.DefBuckets})
	m.rateLimitWaits = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "recce_rate_limit_waits_total",
		Help: "Waits for a rate limit: source gitlab (GitLab answered 429) or recce (the server's own notes pacing)."}, []string{"source"})
	m.rateLimitWaited = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "recce_rate_limit_wait_seconds_total",
		Help: "Time spent (or scheduled) waiting for rate limits, by source."}, []string{"source"})
	m.uploads = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "recce_uploads_total",
		Help: "Pipeline uploads by outcome: accepted, unauthorized, forbidden, too_large, invalid, not_found, gitlab_unavailable, project, retry."}, []string{"outcome"})
	m.blobsCollected = prometheus.NewCounter(prometheus.CounterOpts{Name: "recce_blobs_collected_total",
		Help: "Uploaded artifact blobs deleted because no session has used them for an hour (replaced or refused uploads)."})
	m.reg.MustRegister(m.requests, m.requestDuration, m.jobs, m.jobDuration, m.gitlabRequests, m.gitlabDuration,
		m.rateLimitWaits, m.rateLimitWaited, m.uploads, m.blobsCollected, &queueCollector{st: st},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

// serve answers GET /metrics.
func (m *metrics) serve(w http.ResponseWriter, r *http.Request) error {
	m.handler.ServeHTTP(w, r)
	return nil
}

// count measures every request. The route is the pattern the mux matched
// (set on the request by ServeMux), "unmatched" when none did or the
// request was refused before routing (sign-in, host).
func (m *metrics) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(rec.status)).Inc()
		m.requestDuration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

func (m *metrics) job(kind, outcome string, d time.Duration) {
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.jobDuration.WithLabelValues(kind).Observe(d.Seconds())
}

func (m *metrics) upload(outcome string) { m.uploads.WithLabelValues(outcome).Inc() }

func (m *metrics) rateLimitWait(source string, d time.Duration) {
	m.rateLimitWaits.WithLabelValues(source).Inc()
	m.rateLimitWaited.WithLabelValues(source).Add(max(d, 0).Seconds())
}

// Request and RateLimitWait make metrics the GitLab client's gitlab.Metrics.
func (m *metrics) Request(method string, status int, d time.Duration) {
	label := "error"
	if status != 0 {
		label = strconv.Itoa(status)
	}
	m.gitlabRequests.WithLabelValues(method, label).Inc()
	m.gitlabDuration.Observe(d.Seconds())
}

func (m *metrics) RateLimitWait(d time.Duration) { m.rateLimitWait("gitlab", d) }

// queueCollector reports the job queue as the store holds it (shared by
// every instance), read at each scrape.
type queueCollector struct{ st *store.Store }

var (
	queueDesc = prometheus.NewDesc("recce_jobs", "Jobs in the queue (all instances), by kind and state: pending, running, done, dead.",
		[]string{"kind", "state"}, nil)
	lagDesc = prometheus.NewDesc("recce_jobs_oldest_due_seconds", "How long the oldest due pending job has waited, by kind (0 when none is due).",
		[]string{"kind"}, nil)
)

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDesc
	ch <- lagDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, err := c.st.JobStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueDesc, err)
		return
	}
	lag := map[string]float64{}
	for _, s := range stats {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(s.Count), s.Kind, s.State)
		if _, ok := lag[s.Kind]; !ok {
			lag[s.Kind] = 0
		}
		if s.State == store.JobPending && !s.OldestRunAfter.IsZero() {
			if d := time.Since(s.OldestRunAfter).Seconds(); d > lag[s.Kind] {
				lag[s.Kind] = d
			}
		}
	}
	for kind, d := range lag {
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, d, kind)
	}
}
