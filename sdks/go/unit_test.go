package archonauth

import (
	"fmt"
	"strings"
	"testing"
)

// Cases the shared vectors cannot carry (a JSON literal their generator cannot write).
func TestMaxFileSizeJSONLiterals(t *testing.T) {
	for raw, want := range map[string]uint64{`-0`: 0, `0`: 0, `10485760`: 10485760, ` "10mb" `: 10485760} {
		r, err := ParseRestrictions([]byte(`{"max_file_size":` + raw + `}`))
		if err != nil || r.MaxFileSize == nil || *r.MaxFileSize != want {
			t.Errorf("%s: %v %v", raw, r.MaxFileSize, err)
		}
	}
	for _, raw := range []string{`-1`, `1.0`, `1e3`, `-0.0`, `"-0B"`, `[]`, `{}`} {
		if _, err := ParseRestrictions([]byte(`{"max_file_size":` + raw + `}`)); err == nil {
			t.Errorf("%s accepted", raw)
		}
	}
	// A repeated key is refused (the server's JSON parser refuses it before the restrictions are read).
	if _, err := ParseRestrictions([]byte(`{"file_paths":["/a"],"file_paths":["/b"]}`)); err == nil {
		t.Error("repeated key accepted")
	}
	if _, err := ParseRestrictions([]byte(`[]`)); err == nil {
		t.Error("an array accepted as restrictions")
	}
}

func TestTokensNeverPrint(t *testing.T) {
	tok := Tokens{AccessToken: "eyJsecret-access", RefreshToken: "secret-refresh", SessionID: "sess_1"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, tok); strings.Contains(out, "secret") || !strings.Contains(out, "sess_1") {
			t.Errorf("%s: %s", verb, out)
		}
	}
}

func TestCreatedSecretsNeverPrint(t *testing.T) {
	hook := CreatedWebhook{Webhook: Webhook{ID: "wh_1", URL: "https://h.test/"}, Secret: "whsec_c2VjcmV0"}
	key := CreatedAPIKey{APIKey: APIKey{ID: "key_1"}, Key: "archon_sk_secret"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{hook, &hook, key, &key} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, "c2VjcmV0") || strings.Contains(out, "sk_secret") || !strings.Contains(out, "_1") {
				t.Errorf("%s: %s", verb, out)
			}
		}
	}
}
