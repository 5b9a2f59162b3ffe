package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestSealOpenRoundTrip(t *testing.T) {
	b, err := Load(noEnv, filepath.Join(t.TempDir(), "k", "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	token := []byte("glpat-abcdefghijklmnopqrst")
	sealed, err := b.Seal(token, "gitlab.token")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, token) {
		t.Fatal("sealed value contains the plaintext")
	}
	again, _ := b.Seal(token, "gitlab.token")
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of the same value are equal: the nonce is not random")
	}
	got, err := b.Open(sealed, "gitlab.token")
	if err != nil || !bytes.Equal(got, token) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open(sealed, "gitlab.webhook_secret"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("opening with another purpose: %v, want ErrDecrypt", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open(sealed, "gitlab.token"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("tampered value: %v, want ErrDecrypt", err)
	}
}

func TestKeyFileIsCreatedPrivateAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "recce", "secret.key")
	b1, err := Load(noEnv, path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("key file mode %v, want 0600", st.Mode().Perm())
		}
	}
	sealed, _ := b1.Seal([]byte("x"), "p")
	b2, err := Load(noEnv, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b2.Open(sealed, "p"); err != nil {
		t.Fatalf("second load uses another key: %v", err)
	}
}

func TestKeyFileReadableByOthersIsRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX permissions")
	}
	path := filepath.Join(t.TempDir(), "secret.key")
	if _, err := Load(noEnv, path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(noEnv, path)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("err = %v, want advice to chmod 600", err)
	}
}

func TestKeyFromEnvironment(t *testing.T) {
	key := bytes.Repeat([]byte{7}, KeySize)
	env := func(k string) string {
		if k == EnvKey {
			return base64.StdEncoding.EncodeToString(key)
		}
		return ""
	}
	dir := t.TempDir()
	b, err := Load(env, filepath.Join(dir, "never-created.key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "never-created.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a key file was created although RECCE_SECRET_KEY is set")
	}
	direct, _ := New(key)
	sealed, _ := b.Seal([]byte("v"), "p")
	if _, err := direct.Open(sealed, "p"); err != nil {
		t.Fatal(err)
	}

	bad := func(k string) string {
		if k == EnvKey {
			return "not base64 at all!"
		}
		return ""
	}
	_, err = Load(bad, "")
	if err == nil || !strings.Contains(err.Error(), "openssl rand -base64 32") {
		t.Fatalf("err = %v, want how to make a key", err)
	}
	short := func(k string) string {
		if k == EnvKey {
			return base64.StdEncoding.EncodeToString([]byte("short"))
		}
		return ""
	}
	if _, err := Load(short, ""); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
}

func TestAnotherKeyCannotOpen(t *testing.T) {
	a, _ := New(bytes.Repeat([]byte{1}, KeySize))
	b, _ := New(bytes.Repeat([]byte{2}, KeySize))
	sealed, _ := a.Seal([]byte("token"), "p")
	_, err := b.Open(sealed, "p")
	if !errors.Is(err, ErrDecrypt) || !strings.Contains(err.Error(), "recce gitlab connect") {
		t.Fatalf("err = %v", err)
	}
}

func TestResealMovesAValueToTheNewKey(t *testing.T) {
	oldKey, err := ParseKey(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	newKey, _ := ParseKey(NewKey())
	if k1, k2 := NewKey(), NewKey(); k1 == k2 {
		t.Fatal("NewKey repeats itself")
	}
	sealed, _ := oldKey.Seal([]byte("glpat-x"), "gitlab.token")
	moved, err := oldKey.Reseal(sealed, "gitlab.token", newKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oldKey.Open(moved, "gitlab.token"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("the old key opens the resealed value: %v", err)
	}
	if pt, err := newKey.Open(moved, "gitlab.token"); err != nil || string(pt) != "glpat-x" {
		t.Fatalf("new key: %q %v", pt, err)
	}
	// The purpose stays bound.
	if _, err := newKey.Open(moved, "gitlab.webhook_secret"); !errors.Is(err, ErrDecrypt) {
		t.Fatal("the resealed value opens under another purpose")
	}
	if _, err := newKey.Reseal(sealed, "gitlab.token", oldKey); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("reseal with the wrong key: %v", err)
	}
}

func TestParseKeyAndLoadKeyFile(t *testing.T) {
	const notAKey = "c2hvcnQ=" // "short"
	if _, err := ParseKey(notAKey); err == nil || strings.Contains(err.Error(), notAKey) {
		t.Fatalf("ParseKey(short) = %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "old.key")
	if _, err := LoadKeyFile(path); err == nil {
		t.Fatal("a missing key file was accepted")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("LoadKeyFile created the file")
	}
	key := NewKey()
	os.WriteFile(path, []byte(key+"\n"), 0o600)
	b, err := LoadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fromString, _ := ParseKey(key)
	sealed, _ := fromString.Seal([]byte("v"), "p")
	if pt, err := b.Open(sealed, "p"); err != nil || string(pt) != "v" {
		t.Fatalf("the file's key differs from the string's: %v", err)
	}
	if runtime.GOOS != "windows" {
		os.Chmod(path, 0o644)
		if _, err := LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("a world-readable key file: %v", err)
		}
	}
}
