package archonauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Sizes, the strict parser of a restrictions claim, and the decision for one action
// (docs/agent-restrictions.md: "Sizes", "The restrictions object", "Deciding one action").

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
	// A JSON integer literal: digits only (no fraction or exponent). -0 is 0, as the server reads it.
	if string(raw) == "-0" {
		raw = raw[1:]
	}
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
