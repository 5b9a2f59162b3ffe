package store_test

import (
	"testing"

	"gitlab.com/recce-go/recce/internal/gitlab"
	"gitlab.com/recce-go/recce/internal/store"
)

// The store re-encrypts sealed columns with the purposes the CLI and the
// server seal them with: they must not drift apart.
func TestSealedPurposesMatchGitLab(t *testing.T) {
	if store.PurposeGitLabToken != gitlab.SecretPurposeToken || store.PurposeWebhookSecret != gitlab.SecretPurposeWebhookSecret {
		t.Fatal("store.Purpose* and gitlab.SecretPurpose* differ: key rotation would not open the stored secrets")
	}
}
