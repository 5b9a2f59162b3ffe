package blob

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
)

// Open returns the artifact store named by spec (the server's
// --artifact-store flag, say):
//
//	""                      the directory "artifacts" in dataDir
//	/srv/recce/artifacts    a directory (also file:///srv/recce/artifacts)
//	s3://bucket/prefix?endpoint=minio.internal:9000&region=us-east-1&insecure=true&path_style=true
//
// S3 credentials never go in the spec (it is logged and shown in flags):
// they come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY read through
// getenv, else from the usual AWS sources (credentials file, instance role).
func Open(ctx context.Context, spec, dataDir string, getenv func(string) string) (Store, error) {
	spec = strings.TrimSpace(spec)
	switch {
	case spec == "":
		return NewDir(filepath.Join(dataDir, "artifacts"))
	case isS3(spec):
		cfg, err := ParseS3Spec(spec)
		if err != nil {
			return nil, err
		}
		cfg.AccessKeyID, cfg.SecretAccessKey = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
		return NewS3(ctx, cfg)
	case strings.HasPrefix(spec, "file://"):
		u, err := url.Parse(spec)
		if err != nil || u.Path == "" {
			return nil, fmt.Errorf("artifact store %q: write a directory as file:///absolute/path", spec)
		}
		return NewDir(u.Path)
	case strings.Contains(spec, "://"):
		return nil, fmt.Errorf("artifact store %q: use a directory path or s3://bucket/prefix?endpoint=host:port", redactSpec(spec))
	default:
		return NewDir(spec)
	}
}

// ParseS3Spec reads an s3:// spec into a configuration without credentials.
func ParseS3Spec(spec string) (S3Config, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return S3Config{}, fmt.Errorf("artifact store: cannot read the S3 spec (s3://bucket/prefix?endpoint=host:port)")
	}
	if u.User != nil {
		return S3Config{}, errors.New("artifact store: do not put S3 keys in the spec; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	if u.Host == "" {
		return S3Config{}, fmt.Errorf("artifact store %q: the bucket is missing (s3://bucket/prefix)", spec)
	}
	q := u.Query()
	cfg := S3Config{Bucket: u.Host, Endpoint: q.Get("endpoint"), Region: q.Get("region")}
	if cfg.Endpoint == "" {
		cfg.Endpoint = "s3.amazonaws.com"
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		cfg.Prefix = p + "/"
	}
	for name, dst := range map[string]*bool{"insecure": &cfg.Insecure, "path_style": &cfg.PathStyle} {
		if v := q.Get(name); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return S3Config{}, fmt.Errorf("artifact store: %s=%q is not true or false", name, v)
			}
			*dst = b
		}
	}
	return cfg, nil
}

// redactSpec drops userinfo and query from a spec for messages.
func redactSpec(spec string) string {
	u, err := url.Parse(spec)
	if err != nil {
		return "(unreadable)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// String names the directory, for logs.
func (d *Dir) String() string { return d.root }

// String names the bucket and prefix (never the credentials), for logs.
func (s *S3) String() string { return "s3://" + s.bucket + "/" + s.prefix }
