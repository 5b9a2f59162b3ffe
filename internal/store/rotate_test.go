package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"gitlab.com/recce-go/recce/internal/secret"
)

func box(t *testing.T) *secret.Box {
	t.Helper()
	b, err := secret.ParseKey(secret.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRotateSecretKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s := b.open(t)
		oldKey, newKey, stranger := box(t), box(t), box(t)
		token, _ := oldKey.Seal([]byte("glpat-the-token"), PurposeGitLabToken)
		hook, _ := oldKey.Seal([]byte("webhook-secret"), PurposeWebhookSecret)
		c := conn(token)
		c.WebhookSecretSealed = hook
		if err := s.SaveConnection(ctx, c); err != nil {
			t.Fatal(err)
		}

		// A wrong "old" key changes nothing.
		if _, err := s.RotateSecretKey(ctx, stranger, newKey); err == nil || !strings.Contains(err.Error(), "token_sealed") {
			t.Fatalf("rotation with a wrong old key: %v", err)
		}
		if got, _ := s.Connection(ctx); !bytes.Equal(got.TokenSealed, token) {
			t.Fatal("a failed rotation changed the token")
		}

		rep, err := s.RotateSecretKey(ctx, oldKey, newKey)
		if err != nil || rep.Resealed != 2 || rep.AlreadyRotated != 0 {
			t.Fatalf("rotate = %+v, %v", rep, err)
		}
		got, _ := s.Connection(ctx)
		for _, v := range []struct {
			sealed  []byte
			purpose string
			want    string
		}{{got.TokenSealed, PurposeGitLabToken, "glpat-the-token"}, {got.WebhookSecretSealed, PurposeWebhookSecret, "webhook-secret"}} {
			if _, err := oldKey.Open(v.sealed, v.purpose); !errors.Is(err, secret.ErrDecrypt) {
				t.Errorf("the old key still opens %s: %v", v.purpose, err)
			}
			pt, err := newKey.Open(v.sealed, v.purpose)
			if err != nil || string(pt) != v.want {
				t.Errorf("the new key opens %s as %q, %v", v.purpose, pt, err)
			}
		}
		if b.name == "sqlite" && bytes.Contains(fileBytes(t, s), token) {
			t.Error("the old ciphertext is still in the database files")
		}

		// Running it again is harmless.
		rep, err = s.RotateSecretKey(ctx, oldKey, newKey)
		if err != nil || rep.Resealed != 0 || rep.AlreadyRotated != 2 {
			t.Fatalf("second rotation = %+v, %v", rep, err)
		}
	})
}

// Every *_sealed column of the schema is covered by the rotation.
func TestRotationCoversEverySealedColumn(t *testing.T) {
	s, _ := open(t)
	covered := map[string]bool{}
	for _, c := range sealedColumns {
		covered[c.table+"."+c.column] = true
	}
	rows, err := s.db.Query(`SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(column, "_sealed") {
			found++
			if !covered[table+"."+column] {
				t.Errorf("%s.%s is sealed but RotateSecretKey does not re-encrypt it: add it to sealedColumns", table, column)
			}
		}
	}
	if found != len(sealedColumns) {
		t.Errorf("found %d sealed columns, sealedColumns lists %d", found, len(sealedColumns))
	}
}
