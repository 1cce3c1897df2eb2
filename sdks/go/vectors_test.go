package archonauth

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The shared vectors (sdks/testdata/restriction-vectors.json) that the server's tests and every SDK read.

type vectorFile struct {
	Version int `json:"version"`
	Groups  []struct {
		Name  string            `json:"name"`
		Kind  string            `json:"kind"`
		Cases []json.RawMessage `json:"cases"`
	} `json:"groups"`
}

type vectorCase struct {
	ID    string `json:"id"`
	Note  string `json:"note"`
	Input struct {
		Restrictions json.RawMessage `json:"restrictions"`
		Resource     struct {
			Path    *string         `json:"path"`
			PathHex *string         `json:"path_hex"`
			Branch  *string         `json:"branch"`
			Size    json.RawMessage `json:"size"`
		} `json:"resource"`
		List      string          `json:"list"`
		Child     string          `json:"child"`
		Parent    json.RawMessage `json:"parent"`
		Requested json.RawMessage `json:"requested"`
	} `json:"input"`
	Expected struct {
		Allowed      bool            `json:"allowed"`
		Reason       string          `json:"reason"`
		Error        string          `json:"error"`
		Restrictions json.RawMessage `json:"restrictions"`
	} `json:"expected"`
}

func loadVectors(t *testing.T) vectorFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "restriction-vectors.json"))
	if err != nil {
		t.Fatalf("reading the shared vectors: %v", err)
	}
	var f vectorFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("parsing the shared vectors: %v", err)
	}
	if f.Version != 1 {
		t.Fatalf("vector format version %d, this test reads 1", f.Version)
	}
	return f
}

// decideVector is what a tool server does with a token's claim: parse strictly, then check.
func decideVector(t *testing.T, c vectorCase) Decision {
	r, err := ParseRestrictions(c.Input.Restrictions)
	if err != nil {
		return deny(ReasonRestrictionsInvalid, err.Error())
	}
	var res Resource
	res.Path, res.Branch = c.Input.Resource.Path, c.Input.Resource.Branch
	if c.Input.Resource.PathHex != nil {
		raw, err := hex.DecodeString(*c.Input.Resource.PathHex)
		if err != nil {
			t.Fatalf("%s: bad path_hex", c.ID)
		}
		s := string(raw)
		res.Path = &s
	}
	if len(c.Input.Resource.Size) > 0 {
		var n uint64
		var s string
		if json.Unmarshal(c.Input.Resource.Size, &n) != nil {
			if err := json.Unmarshal(c.Input.Resource.Size, &s); err != nil {
				t.Fatalf("%s: bad size", c.ID)
			}
			if n, err = ParseSize(s); err != nil {
				t.Fatalf("%s: bad size string: %v", c.ID, err)
			}
		}
		res.Size = &n
	}
	return r.Check(res)
}

func TestSharedRestrictionVectors(t *testing.T) {
	f := loadVectors(t)
	total := 0
	for _, g := range f.Groups {
		for _, raw := range g.Cases {
			var c vectorCase
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatalf("group %s: %v", g.Name, err)
			}
			total++
			switch g.Kind {
			case "decision":
				d := decideVector(t, c)
				if d.Reason != c.Expected.Reason || d.Allowed != c.Expected.Allowed {
					t.Errorf("%s (%s): got %s, want %s", c.ID, c.Note, d.Reason, c.Expected.Reason)
				}
			case "within":
				var parent string
				_ = json.Unmarshal(c.Input.Parent, &parent)
				within := PathPatternWithin
				if c.Input.List == "git_branches" {
					within = BranchPatternWithin
				}
				if got := within(c.Input.Child, parent); got != c.Expected.Allowed {
					t.Errorf("%s (%s): within(%q, %q) = %v", c.ID, c.Note, c.Input.Child, parent, got)
				}
			case "narrow":
				checkNarrowVector(t, c)
			default:
				t.Errorf("group %s: unknown kind %q", g.Name, g.Kind)
			}
		}
	}
	if total < 100 {
		t.Fatalf("only %d vectors", total)
	}
}

func checkNarrowVector(t *testing.T, c vectorCase) {
	parent, err := ParseRestrictions(c.Input.Parent)
	if err != nil {
		t.Fatalf("%s: parent: %v", c.ID, err)
	}
	requested, err := ParseRestrictions(c.Input.Requested)
	if err != nil {
		t.Fatalf("%s: requested: %v", c.ID, err)
	}
	child, err := Narrow(parent, requested)
	if (err == nil) != c.Expected.Allowed {
		t.Fatalf("%s (%s): accepted=%v, want %v (%v)", c.ID, c.Note, err == nil, c.Expected.Allowed, err)
	}
	if err != nil {
		if err.Error() != c.Expected.Error {
			t.Errorf("%s: error %q, want %q", c.ID, err, c.Expected.Error)
		}
		return
	}
	got, _ := json.Marshal(child)
	var gotV, wantV any
	_ = json.Unmarshal(got, &gotV)
	_ = json.Unmarshal(c.Expected.Restrictions, &wantV)
	if !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("%s: child %s, want %s", c.ID, got, c.Expected.Restrictions)
	}
}
