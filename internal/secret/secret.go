// Package secret encrypts secrets at rest (GitLab tokens, webhook secrets)
// with AES-256-GCM.
//
// The key never lives with the data: it comes from RECCE_SECRET_KEY (base64
// of 32 bytes, for servers and containers, where a secret manager injects it)
// or from a key file in the user's config directory, created on first use with
// mode 0600. Someone who copies the database alone learns nothing.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// EnvKey is the environment variable that holds the key.
const EnvKey = "RECCE_SECRET_KEY"

// KeySize is the key length in bytes (AES-256).
const KeySize = 32

// version is the first byte of every sealed value, so that the format can
// change without guessing.
const version byte = 1

// Box seals and opens secrets with one key. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext. purpose (for example "gitlab.token") is bound to
// the result as associated data: a value sealed for one purpose cannot be
// opened as another, so a database row cannot be swapped into another column.
func (b *Box) Seal(plaintext []byte, purpose string) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secret: random nonce: %w", err)
	}
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+b.aead.Overhead())
	out = append(out, version)
	out = append(out, nonce...)
	return b.aead.Seal(out, nonce, plaintext, []byte(purpose)), nil
}

// ErrDecrypt means a sealed value could not be opened: another key, another
// purpose, or corrupted data.
var ErrDecrypt = errors.New("cannot decrypt the stored secret: it was encrypted with another key (RECCE_SECRET_KEY or the key file changed) or the data is damaged; store the secret again (for GitLab: recce gitlab connect)")

// Open decrypts a value made by Seal with the same purpose.
func (b *Box) Open(sealed []byte, purpose string) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return nil, ErrDecrypt
	}
	pt, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(purpose))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// DefaultKeyPath is the key file's default place: recce/secret.key in the
// user's config directory (~/.config on Linux, ~/Library/Application Support
// on macOS, %AppData% on Windows), apart from the data directory.
func DefaultKeyPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the user config directory for the secret key (set %s instead): %w", EnvKey, err)
	}
	return filepath.Join(dir, "recce", "secret.key"), nil
}

// KeyPath is DefaultKeyPath with the environment read through getenv
// (XDG_CONFIG_HOME first), so that callers with an injected environment, such
// as tests, never touch the real config directory.
func KeyPath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "recce", "secret.key"), nil
	}
	return DefaultKeyPath()
}

// Load returns the Box for this machine: the key from the environment
// variable RECCE_SECRET_KEY when set (read with getenv), else from keyPath,
// which is created with a new random key (mode 0600) when missing. An empty
// keyPath means DefaultKeyPath.
func Load(getenv func(string) string, keyPath string) (*Box, error) {
	if v := strings.TrimSpace(getenv(EnvKey)); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("%s must be the base64 encoding of %d random bytes (make one with: openssl rand -base64 32)", EnvKey, KeySize)
		}
		return New(key)
	}
	if keyPath == "" {
		p, err := KeyPath(getenv)
		if err != nil {
			return nil, err
		}
		keyPath = p
	}
	key, err := loadOrCreateKeyFile(keyPath)
	if err != nil {
		return nil, err
	}
	return New(key)
}

func loadOrCreateKeyFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read secret key file: %w", err)
	}
	if err := checkPrivate(path); err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("secret key file %s is not the base64 encoding of %d bytes; restore it from a backup, or delete it and store the secrets again (recce gitlab connect)", path, KeySize)
	}
	return key, nil
}

func createKeyFile(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the secret key folder: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("make a secret key: %w", err)
	}
	// O_EXCL: if another process created the file meanwhile, use its key
	// rather than overwriting it (which would orphan what it encrypted).
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreateKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("create the secret key file: %w", err)
	}
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("write the secret key file: %w", err)
	}
	return key, nil
}

// checkPrivate refuses a key file that others can read: the key would be as
// good as public.
func checkPrivate(path string) error {
	if runtime.GOOS == "windows" {
		return nil // permissions are ACLs there; the user profile is private
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("secret key file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("secret key file %s can be read by other users (mode %v); run: chmod 600 %s", path, st.Mode().Perm(), path)
	}
	return nil
}

// ---- key rotation ----
//
// Rotating the key: make a new key (NewKey), re-encrypt every stored secret
// from the old Box to the new one (store.RotateSecretKey, one transaction),
// then give the server the new key (RECCE_SECRET_KEY or the key file) and
// destroy the old one. Until the rotation commits, the old key opens
// everything; after it, only the new one does.

// NewKey returns a new random key, base64-encoded as RECCE_SECRET_KEY and
// the key file hold it.
func NewKey() string {
	key := make([]byte, KeySize)
	rand.Read(key) // never fails
	return base64.StdEncoding.EncodeToString(key)
}

// ParseKey returns the Box for a base64-encoded key (the form of
// RECCE_SECRET_KEY and of the key file), for example the old key given to a
// rotation. The error never quotes the key.
func ParseKey(encoded string) (*Box, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("a secret key must be the base64 encoding of %d random bytes (make one with: openssl rand -base64 32)", KeySize)
	}
	return New(key)
}

// LoadKeyFile returns the Box for the key in a key file (made by Load, or
// by hand with mode 0600). Unlike Load, it never creates the file: a
// rotation's old key must exist.
func LoadKeyFile(path string) (*Box, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the secret key file: %w", err)
	}
	if err := checkPrivate(path); err != nil {
		return nil, err
	}
	b, err := ParseKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return b, nil
}

// Reseal opens sealed with b and seals the plaintext with to, for the same
// purpose. The plaintext is wiped from memory afterwards (as far as Go
// allows: the copy inside the cipher is gone with its stack frame).
func (b *Box) Reseal(sealed []byte, purpose string, to *Box) ([]byte, error) {
	pt, err := b.Open(sealed, purpose)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return to.Seal(pt, purpose)
}
