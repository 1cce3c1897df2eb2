package archonauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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

// ---- sizes -------------------------------------------------------------------------------------------

var sizeUnits = []struct {
	name  string
	bytes uint64
}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}

// ParseSize reads "<digits><unit>", unit B, KB, MB or GB in any letter case, binary (1KB = 1024
// bytes): "10MB" is 10,485,760. No sign, space, fraction or leading zero; at most MaxSizeBytes.
func ParseSize(text string) (uint64, error) {
	digits := 0
	for digits < len(text) && text[digits] >= '0' && text[digits] <= '9' {
		digits++
	}
	if digits == 0 {
		return 0, errors.New(`size must start with a digit (e.g. "10MB")`)
	}
	if digits > 1 && text[0] == '0' {
		return 0, errors.New("size has a leading zero")
	}
	var mult uint64
	for _, u := range sizeUnits {
		if asciiUpper(text[digits:]) == u.name {
			mult = u.bytes
		}
	}
	if mult == 0 {
		return 0, errors.New("size must end with a unit: B, KB, MB or GB (1KB = 1024 bytes)")
	}
	limit := MaxSizeBytes / mult
	var value uint64
	for _, c := range text[:digits] {
		value = value*10 + uint64(c-'0')
		if value > limit {
			return 0, fmt.Errorf("size is larger than %d bytes", MaxSizeBytes)
		}
	}
	return value * mult, nil
}

// asciiUpper folds only a-z: a unit is ASCII, and Unicode case mapping could turn other text into it.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// FormatSize writes bytes in the largest unit that divides them exactly: "10MB", "1536B", "0B".
func FormatSize(bytes uint64) string {
	for _, u := range sizeUnits {
		if bytes != 0 && bytes%u.bytes == 0 {
			return strconv.FormatUint(bytes/u.bytes, 10) + u.name
		}
	}
	return "0B"
}

// parseSizeJSON reads max_file_size: a size string or a JSON integer 0..MaxSizeBytes.
func parseSizeJSON(raw json.RawMessage) (uint64, error) {
	raw = bytes.TrimSpace(raw)
	bad := fmt.Errorf(`max_file_size: must be a size such as "10MB" or a whole number of bytes from 0 to %d`, MaxSizeBytes)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, bad
		}
		n, err := ParseSize(s)
		if err != nil {
			return 0, errors.New("max_file_size: " + err.Error())
		}
		return n, nil
	}
	// A JSON integer literal: digits only (no sign, fraction or exponent).
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, bad
		}
	}
	n, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil || n > MaxSizeBytes || len(raw) == 0 {
		return 0, bad
	}
	return n, nil
}

// ---- restriction sets ------------------------------------------------------------------------------------

type listKind struct {
	key      string
	validate func(string) (string, error)
}

var (
	pathList   = listKind{"file_paths", func(s string) (string, error) { return s, ValidatePathPattern(s) }}
	branchList = listKind{"git_branches", NormalizeBranchPattern}
)

// checkList validates and normalizes a list and drops duplicates, keeping the first.
func checkList(in []string, kind listKind) ([]string, error) {
	if len(in) > MaxPatternsPerList {
		return nil, fmt.Errorf("%s: more than %d entries", kind.key, MaxPatternsPerList)
	}
	total := 0
	out := make([]string, 0, len(in))
	for i, entry := range in {
		total += len(entry)
		v, err := kind.validate(entry)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %v", kind.key, i, err)
		}
		if !contains(out, v) {
			out = append(out, v)
		}
	}
	if total > MaxListBytes {
		return nil, fmt.Errorf("%s: longer than %d bytes in all", kind.key, MaxListBytes)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func parseList(raw json.RawMessage, kind listKind) ([]string, error) {
	var items []json.RawMessage
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '[' || json.Unmarshal(t, &items) != nil {
		return nil, errors.New(kind.key + ": must be an array of strings")
	}
	if len(items) > MaxPatternsPerList {
		return nil, fmt.Errorf("%s: more than %d entries", kind.key, MaxPatternsPerList)
	}
	entries := make([]string, len(items))
	for i, item := range items {
		if t := bytes.TrimSpace(item); len(t) == 0 || t[0] != '"' || json.Unmarshal(t, &entries[i]) != nil {
			return nil, fmt.Errorf("%s[%d]: must be a string", kind.key, i)
		}
	}
	return checkList(entries, kind)
}

// ParseRestrictions parses a restrictions object strictly, as the server does: an unknown key, a list
// that is not an array of strings, an invalid pattern, more than 64 entries or 4096 bytes in a list,
// or a bad max_file_size refuses the whole object. A missing list is empty (deny everything); a missing
// max_file_size is no limit. Branch patterns are normalized and duplicates dropped.
func ParseRestrictions(raw []byte) (Restrictions, error) {
	var r Restrictions
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return r, errors.New("restrictions must be a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		key, isKey := t.(string)
		if err != nil || !isKey {
			return r, errors.New("restrictions must be a JSON object")
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return r, errors.New("restrictions must be a JSON object")
		}
		if seen[key] {
			return r, errors.New("restrictions repeat a key")
		}
		seen[key] = true
		switch key {
		case "file_paths":
			r.FilePaths, err = parseList(value, pathList)
		case "git_branches":
			r.GitBranches, err = parseList(value, branchList)
		case "max_file_size":
			var n uint64
			if n, err = parseSizeJSON(value); err == nil {
				r.MaxFileSize = &n
			}
		default:
			err = errors.New(unknownKey(key))
		}
		if err != nil {
			return Restrictions{}, err
		}
	}
	if _, err := dec.Token(); err != nil {
		return Restrictions{}, errors.New("restrictions must be a JSON object")
	}
	if r.FilePaths == nil {
		r.FilePaths = []string{}
	}
	if r.GitBranches == nil {
		r.GitBranches = []string{}
	}
	return r, nil
}

// unknownKey quotes the key only when it is short printable ASCII (errors never echo arbitrary input).
func unknownKey(k string) string {
	printable := k != "" && len(k) <= 64
	for i := 0; i < len(k) && printable; i++ {
		printable = k[i] > 0x20 && k[i] < 0x7F
	}
	if printable {
		return "unknown key '" + k + "' (accepted: file_paths, git_branches, max_file_size)"
	}
	return "unknown key (accepted: file_paths, git_branches, max_file_size)"
}

// UnmarshalJSON parses strictly, as ParseRestrictions.
func (r *Restrictions) UnmarshalJSON(data []byte) error {
	parsed, err := ParseRestrictions(data)
	if err != nil {
		return err
	}
	*r = parsed
	return nil
}

// MarshalJSON writes the claim as the server does: both lists, max_file_size only when there is a limit.
func (r Restrictions) MarshalJSON() ([]byte, error) {
	out := struct {
		FilePaths   []string `json:"file_paths"`
		GitBranches []string `json:"git_branches"`
		MaxFileSize string   `json:"max_file_size,omitempty"`
	}{FilePaths: r.FilePaths, GitBranches: r.GitBranches}
	if out.FilePaths == nil {
		out.FilePaths = []string{}
	}
	if out.GitBranches == nil {
		out.GitBranches = []string{}
	}
	if r.MaxFileSize != nil {
		out.MaxFileSize = FormatSize(*r.MaxFileSize)
	}
	return json.Marshal(out)
}

// Check decides one action: only what the resource gives is checked, in the order path, branch, size,
// and the first failure decides. A resource with nothing in it is allowed.
func (r Restrictions) Check(res Resource) Decision {
	if res.Path != nil {
		s, err := compilePath(*res.Path, false)
		if err != nil {
			return deny(ReasonInvalidPath, err.Error())
		}
		if !anyMatches(r.FilePaths, s, func(p string) ([]part, error) { return compilePath(p, true) }) {
			return deny(ReasonPathNotAllowed, "")
		}
	}
	if res.Branch != nil {
		_, s, err := compileBranch(*res.Branch, false)
		if err != nil {
			return deny(ReasonInvalidBranch, err.Error())
		}
		compile := func(p string) ([]part, error) { _, c, err := compileBranch(p, true); return c, err }
		if !anyMatches(r.GitBranches, s, compile) {
			return deny(ReasonBranchNotAllowed, "")
		}
	}
	if res.Size != nil && r.MaxFileSize != nil && *res.Size > *r.MaxFileSize {
		return deny(ReasonSizeExceedsLimit, "")
	}
	return Decision{Allowed: true, Reason: ReasonAllowed}
}

// anyMatches: a pattern that does not compile (hand-built restrictions) matches nothing.
func anyMatches(patterns []string, s []part, compile func(string) ([]part, error)) bool {
	for _, pattern := range patterns {
		if p, err := compile(pattern); err == nil && compiledMatch(s, p) {
			return true
		}
	}
	return false
}
