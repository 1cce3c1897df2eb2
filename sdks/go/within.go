package archonauth

import (
	"errors"
	"fmt"
)

// Delegation: is a child pattern within a parent pattern? The rules are docs/agent-restrictions.md,
// "Delegation (narrowing)": sound and conservative, so true only when it is proved. This is a port of
// the reference (src/agents/restrictions.cpp) so that an SDK can predict the server's answer before
// asking it to delegate.

// dpWithin is the table W(i, j): "everything c[i:] matches, p[j:] matches". A parent star absorbs
// nothing or the child's next element, whatever it is; any other parent element must face a non-star
// child element that it covers. Two rows are kept.
func dpWithin[T any](c, p []T, isStar func(T) bool, covers func(T, T) bool) bool {
	n, m := len(c), len(p)
	next, cur := make([]bool, m+1), make([]bool, m+1)
	next[m] = true
	for j := m - 1; j >= 0; j-- {
		next[j] = isStar(p[j]) && next[j+1]
	}
	for i := n - 1; i >= 0; i-- {
		cur[m] = false
		for j := m - 1; j >= 0; j-- {
			if isStar(p[j]) {
				cur[j] = cur[j+1] || next[j]
			} else {
				cur[j] = next[j+1] && !isStar(c[i]) && covers(c[i], p[j])
			}
		}
		next, cur = cur, next
	}
	return next[0]
}

func segWithin(c, p []tok) bool {
	return dpWithin(c, p, func(t tok) bool { return t.kind == tokAny },
		func(a, b tok) bool { return b.kind == tokOne || (a.kind == tokLit && a.cp == b.cp) })
}

func compiledWithin(c, p []part) bool {
	return dpWithin(c, p, func(x part) bool { return x.globstar },
		func(a, b part) bool { return segWithin(a.seg, b.seg) })
}

// arrangeSeg: a run of '*' and '?' becomes its '?'s and one '*' ('?'s first when fixedFirst). In a
// child, a segment that is only '*' becomes "?*" or "*?" (segments are never empty).
func arrangeSeg(seg []tok, child, fixedFirst bool) []tok {
	var out []tok
	for i := 0; i < len(seg); {
		if seg[i].kind == tokLit {
			out = append(out, seg[i])
			i++
			continue
		}
		ones, star := 0, false
		for ; i < len(seg) && seg[i].kind != tokLit; i++ {
			if seg[i].kind == tokOne {
				ones++
			} else {
				star = true
			}
		}
		if star && !fixedFirst {
			out = append(out, tok{kind: tokAny})
		}
		for k := 0; k < ones; k++ {
			out = append(out, tok{kind: tokOne})
		}
		if star && fixedFirst {
			out = append(out, tok{kind: tokAny})
		}
	}
	if child && len(out) == 1 && out[0].kind == tokAny {
		if fixedFirst {
			out = []tok{{kind: tokOne}, {kind: tokAny}}
		} else {
			out = []tok{{kind: tokAny}, {kind: tokOne}}
		}
	}
	return out
}

// anyPart: "*", "?*" or "*?" (already arranged): matches any one segment.
func anyPart(p part) bool {
	if p.globstar || len(p.seg) == 0 || len(p.seg) > 2 {
		return false
	}
	stars := 0
	for _, t := range p.seg {
		if t.kind == tokLit {
			return false
		}
		if t.kind == tokAny {
			stars++
		}
	}
	return stars == 1
}

// arranged rewrites a pattern into an equivalent spelling the table handles better: inside segments
// (arrangeSeg), and across segments a run of "**" and any-one-segment parts becomes those parts and
// one "**" (the "**" last when fixedFirst, first otherwise).
func arranged(c []part, child, fixedFirst bool) []part {
	in := make([]part, len(c))
	for i, p := range c {
		in[i] = part{globstar: p.globstar}
		if !p.globstar {
			in[i].seg = arrangeSeg(p.seg, child, fixedFirst)
		}
	}
	var out []part
	for i := 0; i < len(in); {
		if !in[i].globstar && !anyPart(in[i]) {
			out = append(out, in[i])
			i++
			continue
		}
		globstar, first := false, len(out)
		for ; i < len(in) && (in[i].globstar || anyPart(in[i])); i++ {
			if in[i].globstar {
				globstar = true
			} else {
				out = append(out, in[i])
			}
		}
		if globstar {
			if fixedFirst {
				out = append(out, part{globstar: true})
			} else {
				out = append(out[:first], append([]part{{globstar: true}}, out[first:]...)...)
			}
		}
	}
	return out
}

type prepared struct{ fixedFirst, starFirst []part }

func prepare(c []part, child bool) prepared {
	return prepared{arranged(c, child, true), arranged(c, child, false)}
}

func preparedWithin(c, p prepared) bool {
	return compiledWithin(c.fixedFirst, p.fixedFirst) || compiledWithin(c.starFirst, p.starFirst)
}

// PathPatternWithin reports whether every path the child pattern matches is provably matched by the
// parent pattern. Invalid patterns, and what the rules cannot prove, answer false.
func PathPatternWithin(child, parent string) bool {
	c, err1 := compilePath(child, true)
	p, err2 := compilePath(parent, true)
	return err1 == nil && err2 == nil && preparedWithin(prepare(c, true), prepare(p, false))
}

// BranchPatternWithin is PathPatternWithin for git_branches patterns (refs/heads/ removed first).
func BranchPatternWithin(child, parent string) bool {
	_, c, err1 := compileBranch(child, true)
	_, p, err2 := compileBranch(parent, true)
	return err1 == nil && err2 == nil && preparedWithin(prepare(c, true), prepare(p, false))
}

func compileForKind(kind listKind, s string) ([]part, error) {
	if kind.key == pathList.key {
		return compilePath(s, true)
	}
	_, c, err := compileBranch(s, true)
	return c, err
}

// narrowList: each requested entry within one single parent entry; an empty request inherits.
func narrowList(parent, requested []string, kind listKind) ([]string, error) {
	if len(requested) == 0 {
		return parent, nil
	}
	list, err := checkList(requested, kind)
	if err != nil {
		return nil, err
	}
	var parents []prepared
	for _, p := range parent {
		if c, err := compileForKind(kind, p); err == nil {
			parents = append(parents, prepare(c, false))
		}
	}
	for i, entry := range list {
		c, err := compileForKind(kind, entry)
		ok := false
		for _, p := range parents {
			if err == nil && preparedWithin(prepare(c, true), p) {
				ok = true
				break
			}
		}
		if !ok {
			return nil, fmt.Errorf("%s[%d] is not within the parent's %s", kind.key, i, kind.key)
		}
	}
	return list, nil
}

// Narrow computes a delegated token's restrictions as the server does: each requested pattern must be
// within one single parent pattern and a requested size limit must not exceed the parent's; an empty
// requested list, or no requested limit, inherits the parent's. The child gets the requested patterns
// (normalized), not an intersection. The error names the first offending entry.
func Narrow(parent, requested Restrictions) (Restrictions, error) {
	paths, err := narrowList(parent.FilePaths, requested.FilePaths, pathList)
	if err != nil {
		return Restrictions{}, err
	}
	branches, err := narrowList(parent.GitBranches, requested.GitBranches, branchList)
	if err != nil {
		return Restrictions{}, err
	}
	out := Restrictions{FilePaths: paths, GitBranches: branches, MaxFileSize: parent.MaxFileSize}
	if requested.MaxFileSize != nil {
		if *requested.MaxFileSize > MaxSizeBytes {
			return Restrictions{}, errors.New("max_file_size is too large")
		}
		if parent.MaxFileSize != nil && *requested.MaxFileSize > *parent.MaxFileSize {
			return Restrictions{}, errors.New("max_file_size is larger than the parent's")
		}
		out.MaxFileSize = requested.MaxFileSize
	}
	return out, nil
}
