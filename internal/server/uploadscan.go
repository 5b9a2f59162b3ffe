package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/go-json-experiment/json/jsontext"

	"gitlab.com/recce-go/recce/internal/check"
)

// Upload memory (issue 11, finding 9). An upload is checked as it is read
// back from the artifact store, never held whole: the artifacts, nearly
// all of a state file, are walked token by token and only their presence
// is kept; the rest (metadata, checks, runs: at most maxStateMeta bytes)
// is decoded by check.Decode. What an upload's check holds in memory is
// then that part and the longest single JSON string of the file.
// Parsing the artifacts, which holds them whole, happens in the summary
// job and when a session is opened, a few at a time (Server.heavy).

// maxStateMeta bounds the part of an upload that is not artifacts: it is
// held in memory and stored in the database with the session.
const maxStateMeta = 64 << 20

// errStateMetaTooLarge is an upload whose checks and runs pass maxStateMeta.
var errStateMetaTooLarge = fmt.Errorf("its checks, runs and metadata take more than %d MB (without the artifacts): upload a state file with fewer runs kept", maxStateMeta>>20)

// scannedUpload is what scanUpload keeps of a state file.
type scannedUpload struct {
	state *check.State // without artifacts
	// baseManifest and currentManifest: whether each environment has a
	// manifest (a non-empty JSON object).
	baseManifest, currentManifest bool
}

// stateKeys are the top-level members of a state file that check.Decode
// reads, other than the artifacts.
var stateKeys = map[string]bool{"metadata": true, "runs": true, "checks": true, "git": true, "pull_request": true}

// scanUpload reads a state file from r as a stream (see above).
func scanUpload(r io.Reader) (*scannedUpload, error) {
	// Names are not checked for duplicates here: that keeps every name of
	// the artifacts in memory. The parse of the artifacts checks them.
	dec := jsontext.NewDecoder(r, jsontext.AllowDuplicateNames(true))
	if err := openObject(dec); err != nil {
		return nil, err
	}
	out := &scannedUpload{}
	var meta bytes.Buffer
	meta.WriteByte('{')
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, syntaxAt(dec, err)
		}
		key := tok.String()
		switch {
		case key == "artifacts":
			if err := scanArtifacts(dec, out); err != nil {
				return nil, fmt.Errorf("artifacts: %w", err)
			}
			continue
		case !stateKeys[key]:
			if err := dec.SkipValue(); err != nil {
				return nil, syntaxAt(dec, err)
			}
			continue
		}
		v, err := dec.ReadValue()
		if err != nil {
			return nil, syntaxAt(dec, err)
		}
		if meta.Len()+len(v) > maxStateMeta {
			return nil, errStateMetaTooLarge
		}
		name, _ := json.Marshal(key)
		if meta.Len() > 1 {
			meta.WriteByte(',')
		}
		meta.Write(name)
		meta.WriteByte(':')
		meta.Write(v)
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, syntaxAt(dec, err)
	}
	meta.WriteByte('}')
	st, err := check.Decode(&meta)
	if err != nil {
		return nil, err
	}
	out.state = st
	return out, nil
}

// scanArtifacts walks {"base": {"manifest": {...}, "catalog": {...}},
// "current": {...}} and notes which manifests are there.
func scanArtifacts(dec *jsontext.Decoder, out *scannedUpload) error {
	if dec.PeekKind() == 'n' {
		_, err := dec.ReadToken()
		return err
	}
	if err := openObject(dec); err != nil {
		return err
	}
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return syntaxAt(dec, err)
		}
		env := tok.String()
		var has *bool
		switch env {
		case "base":
			has = &out.baseManifest
		case "current":
			has = &out.currentManifest
		}
		if has == nil || dec.PeekKind() == 'n' {
			if err := dec.SkipValue(); err != nil {
				return syntaxAt(dec, err)
			}
			continue
		}
		if err := openObject(dec); err != nil {
			return fmt.Errorf("%s: %w", env, err)
		}
		for dec.PeekKind() != '}' {
			tok, err := dec.ReadToken()
			if err != nil {
				return syntaxAt(dec, err)
			}
			name := tok.String()
			switch dec.PeekKind() {
			case 'n':
				_, err = dec.ReadToken()
			case '{':
				var nonEmpty bool
				if nonEmpty, err = skipObject(dec); name == "manifest" {
					*has = nonEmpty
				}
			default:
				return fmt.Errorf("%s.%s: expected a JSON object, found %s", env, name, dec.PeekKind())
			}
			if err != nil {
				return syntaxAt(dec, err)
			}
		}
		if _, err := dec.ReadToken(); err != nil {
			return syntaxAt(dec, err)
		}
	}
	_, err := dec.ReadToken()
	return err
}

// skipObject reads an object token by token, holding none of it, and
// tells whether it had members.
func skipObject(dec *jsontext.Decoder) (bool, error) {
	if _, err := dec.ReadToken(); err != nil {
		return false, err
	}
	depth := dec.StackDepth()
	nonEmpty := dec.PeekKind() != '}'
	for dec.StackDepth() >= depth {
		if _, err := dec.ReadToken(); err != nil {
			return false, err
		}
	}
	return nonEmpty, nil
}

func openObject(dec *jsontext.Decoder) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return syntaxAt(dec, err)
	}
	if tok.Kind() != '{' {
		return fmt.Errorf("expected a JSON object, found %s", tok.Kind())
	}
	return nil
}

func syntaxAt(dec *jsontext.Decoder, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the file ends before its JSON does (at byte %d): the upload was cut short", dec.InputOffset())
	}
	return fmt.Errorf("not valid JSON near byte %d: %w", dec.InputOffset(), err)
}
