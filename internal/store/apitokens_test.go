package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAPITokens(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := context.Background()
		s, other := b.open(t), b.open(t)
		clk := newClock(s, other)
		token, info, err := s.CreateAPIToken(ctx, "CI upload")
		if err != nil || !strings.HasPrefix(token, APITokenPrefix) || info.ID == 0 || info.Name != "CI upload" {
			t.Fatalf("create = %q %+v %v", token, info, err)
		}
		if _, _, err := s.CreateAPIToken(ctx, "  "); err == nil {
			t.Fatal("a nameless token was made")
		}

		// Another instance accepts it and records the use.
		got, err := other.VerifyAPIToken(ctx, token)
		if err != nil || got.ID != info.ID || !got.LastUsedAt.Equal(clk.Now()) {
			t.Fatalf("verify = %+v, %v", got, err)
		}
		// Uses within a minute are not written again.
		clk.Add(30 * time.Second)
		if got, _ := s.VerifyAPIToken(ctx, token); !got.LastUsedAt.Equal(clk.Now().Add(-30 * time.Second)) {
			t.Fatalf("last used moved within a minute: %v", got.LastUsedAt)
		}
		clk.Add(time.Minute)
		if got, _ := s.VerifyAPIToken(ctx, token); !got.LastUsedAt.Equal(clk.Now()) {
			t.Fatalf("last used not recorded: %v", got.LastUsedAt)
		}

		// Wrong tokens: another random token, a one-character change of the
		// secret part (its lookup key still matches), malformed strings.
		second, _, _ := s.CreateAPIToken(ctx, "script")
		last := token[len(token)-2]
		flip := byte('A')
		if last == 'A' {
			flip = 'B'
		}
		tampered := token[:len(token)-2] + string(flip) + token[len(token)-1:]
		for _, bad := range []string{tampered, "recce_", "recce_!!!", "glpat-abc", "", token + "x"} {
			if _, err := s.VerifyAPIToken(ctx, bad); !errors.Is(err, ErrInvalidAPIToken) {
				t.Errorf("verify(%q) = %v, want ErrInvalidAPIToken", bad, err)
			}
		}

		// Only a hash is stored.
		rows, err := s.db.Query(`SELECT name, lookup, hash FROM api_tokens`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, lookup string
			var hash []byte
			rows.Scan(&name, &lookup, &hash)
			for _, tok := range []string{token, second} {
				secretPart := tok[len(tok)-20:]
				if strings.Contains(name+lookup, secretPart) || bytes.Contains(hash, []byte(secretPart)) {
					t.Fatal("the token's secret part is stored")
				}
			}
		}
		rows.Close()

		list, _ := s.APITokens(ctx)
		if len(list) != 2 || list[0].Name != "CI upload" || list[1].Name != "script" {
			t.Fatalf("list = %+v", list)
		}
		if ok, err := s.RevokeAPIToken(ctx, info.ID); !ok || err != nil {
			t.Fatalf("revoke = %v, %v", ok, err)
		}
		if _, err := other.VerifyAPIToken(ctx, token); !errors.Is(err, ErrInvalidAPIToken) {
			t.Fatalf("revoked token accepted: %v", err)
		}
		if _, err := other.VerifyAPIToken(ctx, second); err != nil {
			t.Fatalf("the other token stopped working: %v", err)
		}
		if ok, _ := s.RevokeAPIToken(ctx, info.ID); ok {
			t.Fatal("revoked twice")
		}
	})
}
