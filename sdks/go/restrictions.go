package archonauth

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// The limits of docs/agent-restrictions.md ("Limits").
const (
	MaxPathBytes        = 4096              // a concrete path
	MaxPathPatternBytes = 1024              // a file_paths pattern
	MaxBranchBytes      = 255               // a branch name or pattern, without refs/heads/
	MaxPatternsPerList  = 64                // entries of file_paths, of git_branches
	MaxListBytes        = 4096              // all the patterns of one list together
	MaxSizeBytes        = uint64(1)<<53 - 1 // exact in every JSON implementation
)

// Decision reasons. The first seven are what the restriction rules decide; the token reasons come
// from verifying the token (offline or with the server), capability_not_granted from the capability
// check. They are the reason codes of POST /api/v2/auth/agents/verify.
const (
	ReasonAllowed              = "allowed"
	ReasonInvalidPath          = "invalid_path"
	ReasonPathNotAllowed       = "path_not_allowed"
	ReasonInvalidBranch        = "invalid_branch"
	ReasonBranchNotAllowed     = "branch_not_allowed"
	ReasonSizeExceedsLimit     = "size_exceeds_limit"
	ReasonRestrictionsInvalid  = "restrictions_invalid"
	ReasonCapabilityNotGranted = "capability_not_granted"
	ReasonTokenInvalid         = "token_invalid"
	ReasonTokenExpired         = "token_expired"
	ReasonTokenRevoked         = "token_revoked"
)

// Restrictions is an agent token's restrictions claim, parsed. An empty list allows nothing; a nil
// MaxFileSize means no size limit. Build it with ParseRestrictions so that every pattern is valid.
type Restrictions struct {
	FilePaths   []string // path patterns
	GitBranches []string // branch patterns, normalized (no refs/heads/)
	MaxFileSize *uint64  // bytes; nil: no limit
}

// Resource is what one action touches. Only what is set is checked (path, then branch, then size).
type Resource struct {
	Path   *string `json:"path,omitempty"`
	Branch *string `json:"branch,omitempty"`
	Size   *uint64 `json:"size,omitempty"`
}

// PathResource is a Resource with only a path.
func PathResource(path string) Resource { return Resource{Path: &path} }

// BranchResource is a Resource with only a branch.
func BranchResource(branch string) Resource { return Resource{Branch: &branch} }

// WithBranch returns a copy of r with the branch set.
func (r Resource) WithBranch(branch string) Resource { r.Branch = &branch; return r }

// WithSize returns a copy of r with the size (in bytes) set.
func (r Resource) WithSize(bytes uint64) Resource { r.Size = &bytes; return r }

// Decision is the answer for one action. Detail says why a path or branch is invalid (it never quotes
// the input); it is empty otherwise.
type Decision struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	Detail  string `json:"detail,omitempty"`
}

func deny(reason, detail string) Decision { return Decision{Reason: reason, Detail: detail} }

// ---- compiled names and patterns ----------------------------------------------------------------------

type tokKind uint8

const (
	tokLit tokKind = iota // a literal code point
	tokOne                // '?'
	tokAny                // '*'
)

type tok struct {
	kind tokKind
	cp   rune
}

type part struct {
	globstar bool
	seg      []tok
}

// decodeUTF8 is strict RFC 3629 (Go's decoder refuses overlong forms, surrogates and > U+10FFFF).
func decodeUTF8(s string) ([]rune, bool) {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return nil, false
		}
		out = append(out, r)
		i += n
	}
	return out, true
}

// isControl is Unicode's Cc category: C0, DEL and C1.
func isControl(r rune) bool { return r < 0x20 || (r >= 0x7F && r <= 0x9F) }

func indexRunes(s []rune, what string) int {
	return strings.Index(string(s), what)
}

func splitRunes(s []rune) [][]rune {
	var out [][]rune
	start := 0
	for i, r := range s {
		if r == '/' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func compilePart(text []rune, wild bool, what, unit string) (part, error) {
	if wild && len(text) == 2 && text[0] == '*' && text[1] == '*' {
		return part{globstar: true}, nil
	}
	if wild && indexRunes(text, "**") >= 0 {
		return part{}, fmt.Errorf("%s: '**' must be a whole %s", what, unit)
	}
	seg := make([]tok, len(text))
	for i, c := range text {
		switch {
		case wild && c == '*':
			seg[i] = tok{kind: tokAny}
		case wild && c == '?':
			seg[i] = tok{kind: tokOne}
		default:
			seg[i] = tok{kind: tokLit, cp: c}
		}
	}
	return part{seg: seg}, nil
}

func compilePath(raw string, wild bool) ([]part, error) {
	what, max := "path", MaxPathBytes
	if wild {
		what, max = "path pattern", MaxPathPatternBytes
	}
	if raw == "" {
		return nil, errors.New(what + " is empty")
	}
	if len(raw) > max {
		return nil, fmt.Errorf("%s is longer than %d bytes", what, max)
	}
	cps, ok := decodeUTF8(raw)
	if !ok {
		return nil, errors.New(what + " is not valid UTF-8")
	}
	for _, c := range cps {
		switch {
		case isControl(c):
			return nil, errors.New(what + " contains a control character")
		case c == '\\':
			return nil, errors.New(what + " contains a backslash")
		case c == '%':
			return nil, errors.New(what + " contains '%' (percent-encoding is refused, never decoded)")
		}
	}
	if cps[0] != '/' {
		return nil, errors.New(what + " is not absolute (must start with '/')")
	}
	out := []part{}
	if len(cps) == 1 {
		return out, nil // the root
	}
	if cps[len(cps)-1] == '/' {
		return nil, errors.New(what + " ends with '/'")
	}
	for _, seg := range splitRunes(cps[1:]) {
		switch string(seg) {
		case "":
			return nil, errors.New(what + " contains an empty segment ('//')")
		case ".":
			return nil, errors.New(what + " contains a '.' segment")
		case "..":
			return nil, errors.New(what + " contains a '..' segment")
		}
		p, err := compilePart(seg, wild, what, "segment")
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// compileBranch applies git check-ref-format --branch plus the documented additions, after removing
// one leading refs/heads/. It returns the normalized name and its components.
func compileBranch(raw string, wild bool) (string, []part, error) {
	what := "branch"
	forbidden := "~^:\\[*?"
	if wild {
		what, forbidden = "branch pattern", "~^:\\["
	}
	s := strings.TrimPrefix(raw, "refs/heads/")
	if s == "" {
		return "", nil, errors.New(what + " is empty")
	}
	if len(s) > MaxBranchBytes {
		return "", nil, fmt.Errorf("%s is longer than %d bytes", what, MaxBranchBytes)
	}
	cps, ok := decodeUTF8(s)
	if !ok {
		return "", nil, errors.New(what + " is not valid UTF-8")
	}
	for _, c := range cps {
		switch {
		case isControl(c):
			return "", nil, errors.New(what + " contains a control character")
		case c == ' ':
			return "", nil, errors.New(what + " contains a space")
		case strings.ContainsRune(forbidden, c):
			return "", nil, fmt.Errorf("%s contains '%c'", what, c)
		}
	}
	var problem string
	switch {
	case strings.HasPrefix(s, "refs/"):
		problem = "starts with 'refs/' (only 'refs/heads/' is understood)"
	case s == "HEAD":
		problem = "is 'HEAD'"
	case s == "@":
		problem = "is '@'"
	case strings.Contains(s, ".."):
		problem = "contains '..'"
	case strings.Contains(s, "@{"):
		problem = "contains '@{'"
	case s[0] == '-':
		problem = "starts with '-'"
	case s[0] == '/':
		problem = "starts with '/'"
	case s[len(s)-1] == '/':
		problem = "ends with '/'"
	case s[len(s)-1] == '.':
		problem = "ends with '.'"
	case strings.Contains(s, "//"):
		problem = "contains '//'"
	}
	if problem != "" {
		return "", nil, errors.New(what + " " + problem)
	}
	var parts []part
	for _, comp := range splitRunes(cps) {
		if comp[0] == '.' {
			return "", nil, errors.New(what + " has a component starting with '.'")
		}
		if strings.HasSuffix(string(comp), ".lock") {
			return "", nil, errors.New(what + " has a component ending with '.lock'")
		}
		p, err := compilePart(comp, wild, what, "component")
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, p)
	}
	return s, parts, nil
}

// ---- matching: the classic greedy wildcard algorithm, at both levels --------------------------------------

// greedyMatch: in p a star element matches any run of elements of s (none included); any other
// element matches exactly one element for which one(s[i], p[j]) holds. Linear-ish, never exponential.
func greedyMatch[S, P any](s []S, p []P, isStar func(P) bool, one func(S, P) bool) bool {
	i, j, starJ, starI := 0, 0, -1, 0
	for i < len(s) {
		switch {
		case j < len(p) && isStar(p[j]):
			starJ, starI = j, i
			j++
		case j < len(p) && one(s[i], p[j]):
			i++
			j++
		case starJ >= 0:
			j = starJ + 1
			starI++
			i = starI
		default:
			return false
		}
	}
	for j < len(p) && isStar(p[j]) {
		j++
	}
	return j == len(p)
}

func segMatch(s, p []tok) bool {
	return greedyMatch(s, p, func(t tok) bool { return t.kind == tokAny },
		func(a, b tok) bool { return b.kind == tokOne || a.cp == b.cp })
}

func compiledMatch(s, p []part) bool {
	return greedyMatch(s, p, func(x part) bool { return x.globstar },
		func(a, b part) bool { return segMatch(a.seg, b.seg) })
}

// ValidatePath reports why a concrete path is invalid, or nil. Nothing is ever normalized away.
func ValidatePath(path string) error { _, err := compilePath(path, false); return err }

// ValidatePathPattern reports why a file_paths pattern is invalid, or nil.
func ValidatePathPattern(pattern string) error { _, err := compilePath(pattern, true); return err }

// NormalizeBranch removes one leading refs/heads/ and validates the name.
func NormalizeBranch(branch string) (string, error) {
	name, _, err := compileBranch(branch, false)
	return name, err
}

// NormalizeBranchPattern is NormalizeBranch for a git_branches pattern ('*', '?' and '**' allowed).
func NormalizeBranchPattern(pattern string) (string, error) {
	name, _, err := compileBranch(pattern, true)
	return name, err
}

// PathMatches reports whether the pattern matches the path; false when either is invalid.
func PathMatches(pattern, path string) bool {
	p, err1 := compilePath(pattern, true)
	s, err2 := compilePath(path, false)
	return err1 == nil && err2 == nil && compiledMatch(s, p)
}

// BranchMatches reports whether the branch pattern matches the branch; false when either is invalid.
func BranchMatches(pattern, branch string) bool {
	_, p, err1 := compileBranch(pattern, true)
	_, s, err2 := compileBranch(branch, false)
	return err1 == nil && err2 == nil && compiledMatch(s, p)
}
