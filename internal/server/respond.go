package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// apiError is an error answer: {"error": "...", "detail": ...}. The message
// says what went wrong and what to do; detail carries structured data the
// web app shows (the checks of a refused GitLab token, a parse position...).
type apiError struct {
	Status  int
	Message string
	Detail  any
}

func (e *apiError) Error() string { return e.Message }

// errorf builds an apiError with a formatted message.
func errorf(status int, format string, args ...any) *apiError {
	return &apiError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// writeJSON answers v as JSON with the given status. HTML escaping is off:
// the app reads the JSON, and SQL with < and > stays readable in a debugger.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // a failed write means the client went away
}

// writeError answers err: an *apiError as it is, anything else as a 500
// whose message is the error's text (errors of this product say what to
// do, and never carry secrets).
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{Status: http.StatusInternalServerError, Message: err.Error()}
	}
	writeJSON(w, ae.Status, map[string]any{"error": ae.Message, "detail": ae.Detail})
}

// Body size limits. JSON requests are small; a state file carries both
// environments' manifests, which reach 100 MB each on large projects.
const (
	maxJSONBody  = 1 << 20
	maxStateBody = 512 << 20
)

// decodeJSON reads a JSON request body of at most limit bytes into dst.
// Unknown fields are refused, so that a typo in a field name is an error
// rather than a silently ignored setting.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badBody(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(http.StatusBadRequest, "the request body holds more than one JSON value: send one object")
	}
	return nil
}

// badBody turns a JSON decoding error into a 400 (or 413) that says what
// is wrong.
func badBody(err error, limit int64) *apiError {
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var slow *bodyTimeoutError
	switch {
	case errors.As(err, &slow):
		return errorf(http.StatusRequestTimeout, "%v: send it again", slow)
	case errors.As(err, &tooBig):
		return errorf(http.StatusRequestEntityTooLarge, "the request body is larger than %d bytes", limit)
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "the request body is empty: send a JSON object")
	case errors.As(err, &syntax):
		return &apiError{Status: http.StatusBadRequest, Message: fmt.Sprintf("the request body is not valid JSON (at byte %d): %v", syntax.Offset, err), Detail: map[string]any{"offset": syntax.Offset}}
	case errors.As(err, &typ):
		return errorf(http.StatusBadRequest, "field %q: expected %s, got a JSON %s", typ.Field, typ.Type, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return errorf(http.StatusBadRequest, "unknown field %s in the request body (see docs/api.md)", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return errorf(http.StatusBadRequest, "the request body cannot be read: %v", err)
}

// bodyError is the answer to a body that could not be read for being
// too slow (408) or too large (413); nil for other errors.
func bodyError(err error, what string) *apiError {
	var slow *bodyTimeoutError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &slow):
		return errorf(http.StatusRequestTimeout, "%v: send %s again", slow, what)
	case errors.As(err, &tooBig):
		return errorf(http.StatusRequestEntityTooLarge, "%s is larger than this server's limit of %d MB", what, tooBig.Limit>>20)
	}
	return nil
}

// handler is an HTTP handler that returns its error; route wraps it so
// that every handler answers errors the same way.
type handler func(w http.ResponseWriter, r *http.Request) error

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h(w, r); err != nil {
		writeError(w, err)
	}
}
