package archonauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/archon-ai/archon-auth/sdks/go/archontest"
)

// The shared vectors against the real server: every restriction set of the vectors becomes an agent
// type of a catalog of its own, a token of each type is minted, and each decision case is asked of
// POST /api/v2/auth/agents/verify; each "within" case becomes a delegation. Cases the server cannot be
// asked are skipped: invalid restriction sets (a catalog with them does not load), raw bytes that are
// not UTF-8 (JSON cannot carry them), and invalid parent patterns.

// noLimit stands in for "no max_file_size", which a catalog type cannot express; every size of the
// vectors is at most this, so the decisions are the same.
var noLimit = FormatSize(MaxSizeBytes)

type catalogType struct {
	Description         string         `json:"description"`
	Capabilities        []string       `json:"capabilities"`
	DefaultRestrictions map[string]any `json:"default_restrictions"`
	MaxLifetime         int            `json:"max_token_lifetime_seconds"`
}

func catalogEntry(r Restrictions) catalogType {
	size := noLimit
	if r.MaxFileSize != nil {
		size = FormatSize(*r.MaxFileSize)
	}
	return catalogType{Description: "A shared-vector restriction set.", Capabilities: []string{"file:read", "git:read"},
		DefaultRestrictions: map[string]any{"file_paths": nonNil(r.FilePaths), "git_branches": nonNil(r.GitBranches), "max_file_size": size},
		MaxLifetime:         3600}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type serverCase struct {
	c        vectorCase
	kind     string // decision, within, narrow or unparsable
	typeName string
}

// buildCatalog turns the vectors into agent types (JSON is YAML, so the catalog is written as JSON).
func buildCatalog(t *testing.T, f vectorFile) (map[string]catalogType, []serverCase) {
	types := map[string]catalogType{}
	bySet := map[string]string{}
	typeFor := func(r Restrictions) string {
		key, _ := json.Marshal(r)
		if name, ok := bySet[string(key)]; ok {
			return name
		}
		name := fmt.Sprintf("vector_set_%d", len(bySet))
		bySet[string(key)] = name
		types[name] = catalogEntry(r)
		return name
	}
	var cases []serverCase
	for _, g := range f.Groups {
		for _, raw := range g.Cases {
			var c vectorCase
			_ = json.Unmarshal(raw, &c)
			switch {
			case g.Kind == "decision" && c.Expected.Reason == ReasonRestrictionsInvalid:
				// Asked as a delegation's requested restrictions under the code_implementer set.
				impl, _ := ParseRestrictions([]byte(`{"file_paths":["/project/src/**"],"git_branches":["feature/*"],"max_file_size":"10MB"}`))
				cases = append(cases, serverCase{c, "unparsable", typeFor(impl)})
			case g.Kind == "decision" && c.Input.Resource.PathHex == nil:
				r, err := ParseRestrictions(c.Input.Restrictions)
				if err != nil {
					t.Fatalf("%s: %v", c.ID, err)
				}
				cases = append(cases, serverCase{c, "decision", typeFor(r)})
			case g.Kind == "within":
				var parent string
				_ = json.Unmarshal(c.Input.Parent, &parent)
				r := Restrictions{FilePaths: []string{}, GitBranches: []string{}}
				if c.Input.List == "file_paths" && ValidatePathPattern(parent) == nil {
					r.FilePaths = []string{parent}
				} else if n, err := NormalizeBranchPattern(parent); c.Input.List == "git_branches" && err == nil {
					r.GitBranches = []string{n}
				} else {
					continue
				}
				cases = append(cases, serverCase{c, "within", typeFor(r)})
			case g.Kind == "narrow":
				r, err := ParseRestrictions(c.Input.Parent)
				if err != nil {
					t.Fatalf("%s: %v", c.ID, err)
				}
				cases = append(cases, serverCase{c, "narrow", typeFor(r)})
			}
		}
	}
	return types, cases
}

func TestSharedVectorsAgainstTheServer(t *testing.T) {
	f := loadVectors(t)
	types, cases := buildCatalog(t, f)
	catalog := map[string]any{"capabilities": map[string]string{"file:read": "Read files.", "git:read": "Read git."},
		"agent_types": types}
	data, _ := json.Marshal(catalog)
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := archontest.Start(t, "agents:\n  catalog_file: \""+path+"\"\n")
	ctx := context.Background()
	user := "vectors@example.com"
	srv.CreateUser(t, user, "Vectors", "admin", "vector passphrase for the go sdk")
	id, secret := srv.CreateServiceClient(t, "vectors")
	c, _ := New(srv.URL, WithServiceClient(id, secret))
	if _, err := c.Login(ctx, LoginRequest{Email: user, Password: "vector passphrase for the go sdk"}); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for name := range types {
		g, err := c.AuthenticateAgent(ctx, AgentAuthenticateRequest{AgentType: name, CapabilitiesRequested: []string{"file:read", "git:read"}})
		if err != nil || len(g.CapabilitiesGranted) != 2 {
			t.Fatalf("authenticate %s: %+v %v", name, g, err)
		}
		tokens[name] = g.AgentToken
	}
	asked := 0
	for _, sc := range cases {
		asked++
		switch sc.kind {
		case "decision":
			checkServerDecision(t, c, tokens[sc.typeName], sc.c)
		case "within":
			checkServerWithin(t, c, tokens[sc.typeName], sc.typeName, sc.c)
		case "narrow":
			checkServerNarrow(t, c, tokens[sc.typeName], sc.typeName, sc.c)
		case "unparsable":
			checkServerRefusesRestrictions(t, c, tokens[sc.typeName], sc.typeName, sc.c)
		}
	}
	t.Logf("%d vectors asked of the server", asked)
}

// checkServerDecision sends the vector's resource as written (a size string stays a string).
func checkServerDecision(t *testing.T, c *Client, token string, vc vectorCase) {
	res := map[string]any{}
	capability := "file:read"
	if p := vc.Input.Resource.Path; p != nil {
		res["path"] = *p
	}
	if b := vc.Input.Resource.Branch; b != nil {
		res["branch"] = *b
		if vc.Input.Resource.Path == nil {
			capability = "git:read"
		}
	}
	if len(vc.Input.Resource.Size) > 0 {
		res["size"] = vc.Input.Resource.Size
	}
	body := map[string]any{"token": token, "capability": capability, "resource": res}
	var d AgentVerifyDecision
	k := call{method: http.MethodPost, path: "/auth/agents/verify", body: body, auth: authService}
	if _, err := c.do(context.Background(), k, &d); err != nil {
		t.Errorf("%s (%s): verify: %v", vc.ID, vc.Note, err)
		return
	}
	if d.Reason != vc.Expected.Reason || d.Allowed != vc.Expected.Allowed {
		t.Errorf("%s (%s): the server says %s, the vector %s", vc.ID, vc.Note, d.Reason, vc.Expected.Reason)
	}
}

func checkServerWithin(t *testing.T, c *Client, token, typeName string, vc vectorCase) {
	req := AgentDelegateRequest{AgentType: typeName, CapabilitiesRequested: []string{"file:read"},
		Restrictions: &AgentRestrictionsRequest{}}
	if vc.Input.List == "file_paths" {
		req.Restrictions.FilePaths = []string{vc.Input.Child}
	} else {
		req.Restrictions.GitBranches = []string{vc.Input.Child}
	}
	_, err := c.DelegateAgent(context.Background(), token, req)
	var apiErr *Error
	switch {
	case err == nil && !vc.Expected.Allowed:
		t.Errorf("%s (%s): the server delegated %q under %s", vc.ID, vc.Note, vc.Input.Child, vc.Input.Parent)
	case err != nil && vc.Expected.Allowed:
		t.Errorf("%s (%s): the server refused: %v", vc.ID, vc.Note, err)
	case err != nil && !errors.As(err, &apiErr):
		t.Errorf("%s: %v", vc.ID, err)
	}
}

func checkServerNarrow(t *testing.T, c *Client, token, typeName string, vc vectorCase) {
	requested, err := ParseRestrictions(vc.Input.Requested)
	if err != nil {
		t.Fatalf("%s: %v", vc.ID, err)
	}
	req := AgentDelegateRequest{AgentType: typeName, CapabilitiesRequested: []string{"file:read"},
		Restrictions: &AgentRestrictionsRequest{FilePaths: requested.FilePaths, GitBranches: requested.GitBranches}}
	if requested.MaxFileSize != nil {
		req.Restrictions.MaxFileSize = FormatSize(*requested.MaxFileSize)
	}
	grant, err := c.DelegateAgent(context.Background(), token, req)
	if (err == nil) != vc.Expected.Allowed {
		t.Errorf("%s (%s): the server answered %v, the vector allowed=%v", vc.ID, vc.Note, err, vc.Expected.Allowed)
		return
	}
	if err != nil {
		var apiErr *Error
		if !errors.As(err, &apiErr) || apiErr.Details["reason"] != "restrictions_wider_than_parent" {
			t.Errorf("%s: refused for another reason: %v", vc.ID, err)
		}
		return
	}
	want, _ := ParseRestrictions(vc.Expected.Restrictions)
	if want.MaxFileSize == nil { // the catalog's stand-in for "no limit" is inherited
		n := MaxSizeBytes
		want.MaxFileSize = &n
	}
	got, _ := json.Marshal(grant.Restrictions)
	exp, _ := json.Marshal(want)
	if string(got) != string(exp) {
		t.Errorf("%s (%s): the server gave %s, the vector %s", vc.ID, vc.Note, got, exp)
	}
}

// checkServerRefusesRestrictions: restrictions the strict parser refuses are refused in a delegation
// request too (403 invalid_restrictions, or a 400/422 validation error for a wrong JSON type).
func checkServerRefusesRestrictions(t *testing.T, c *Client, token, typeName string, vc vectorCase) {
	body := map[string]any{"agent_type": typeName, "capabilities_requested": []string{"file:read"},
		"restrictions": vc.Input.Restrictions}
	k := call{method: http.MethodPost, path: "/auth/agents/delegate", body: body, auth: authBearer, bearer: token}
	_, err := c.do(context.Background(), k, nil)
	var apiErr *Error
	switch {
	case err == nil:
		t.Errorf("%s (%s): the server delegated with these restrictions", vc.ID, vc.Note)
	case !errors.As(err, &apiErr):
		t.Errorf("%s: %v", vc.ID, err)
	case apiErr.Status == http.StatusForbidden && apiErr.Details["reason"] != "invalid_restrictions":
		t.Errorf("%s (%s): refused for another reason: %v", vc.ID, vc.Note, err)
	case apiErr.Status != http.StatusForbidden && apiErr.Status != 400 && apiErr.Status != 422:
		t.Errorf("%s (%s): %v", vc.ID, vc.Note, err)
	}
}
