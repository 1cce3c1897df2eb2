package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"sync"

	archonauth "github.com/archon-ai/archon-auth/sdks/go"
)

// A toy tool server for agents: three tools over an in-memory workspace, each behind
// RequireCapability. The workspace is a map, so a refused path can never touch a real file.

const maxBody = 16 << 20 // above the largest max_file_size a test uses, so the size rule decides

// workspace maps an absolute path to its content; branches records commits per branch.
type workspace struct {
	mu       sync.Mutex
	files    map[string]string
	branches map[string][]string
}

// toolRequest is the body of every tool call.
type toolRequest struct {
	Path    string `json:"path,omitempty"`
	Content string `json:"content,omitempty"`
	Branch  string `json:"branch,omitempty"`
	Message string `json:"message,omitempty"`
}

type ctxKey struct{}

// withBody reads the JSON body once, before the guard, so that resourceFrom and the tool see the same
// request: the path that is checked is exactly the path that is used.
func withBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		var req toolRequest
		if err != nil || len(data) > maxBody || json.Unmarshal(data, &req) != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"success": false, "error": map[string]any{
				"code": "VALIDATION_MALFORMED_JSON", "message": "the body must be a JSON object", "details": map[string]any{}}})
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
		next.ServeHTTP(w, r.WithContext(contextWith(r, req)))
	})
}

func requestOf(r *http.Request) toolRequest {
	req, _ := r.Context().Value(ctxKey{}).(toolRequest)
	return req
}

// The resources each tool acts on. A write also says its size, so max_file_size applies.
func pathOf(r *http.Request) archonauth.Resource { return archonauth.PathResource(requestOf(r).Path) }

func pathAndSizeOf(r *http.Request) archonauth.Resource {
	req := requestOf(r)
	return archonauth.PathResource(req.Path).WithSize(uint64(len(req.Content)))
}

func branchOf(r *http.Request) archonauth.Resource {
	return archonauth.BranchResource(requestOf(r).Branch)
}

// newHandler wires the tools behind the guard. Every decision is logged with the actor chain.
func newHandler(auth archonauth.Authorizer, logger *slog.Logger) http.Handler {
	ws := &workspace{files: map[string]string{}, branches: map[string][]string{}}
	guard := archonauth.NewGuard(auth, archonauth.WithDecisionHook(func(r *http.Request, v archonauth.Verdict, capability string) {
		attrs := []any{"capability", capability, "allowed", v.Allowed, "reason", v.Reason, "agent_id", v.AgentID}
		if v.Claims != nil {
			attrs = append(attrs, "user", v.Claims.Subject, "actors", v.Claims.Actors())
		}
		logger.Info("agent decision", attrs...) // never the token itself
	}))
	mux := http.NewServeMux()
	mux.Handle("POST /tools/read_file", withBody(guard.RequireCapability("file:read", pathOf)(http.HandlerFunc(ws.read))))
	mux.Handle("POST /tools/write_file", withBody(guard.RequireCapability("file:write", pathAndSizeOf)(http.HandlerFunc(ws.write))))
	mux.Handle("POST /tools/commit", withBody(guard.RequireCapability("git:commit", branchOf)(http.HandlerFunc(ws.commit))))
	mux.Handle("GET /tools", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, ok([]string{"read_file", "write_file", "commit"}))
	}))
	return mux
}

func (ws *workspace) read(w http.ResponseWriter, r *http.Request) {
	path := requestOf(r).Path
	ws.mu.Lock()
	content, found := ws.files[path]
	ws.mu.Unlock()
	if !found {
		writeJSON(w, http.StatusNotFound, map[string]any{"success": false, "error": map[string]any{
			"code": "RESOURCE_NOT_FOUND", "message": "no such file", "details": map[string]any{}}})
		return
	}
	writeJSON(w, http.StatusOK, ok(map[string]any{"path": path, "content": content}))
}

func (ws *workspace) write(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	ws.mu.Lock()
	ws.files[req.Path] = req.Content
	ws.mu.Unlock()
	verdict, _ := archonauth.VerdictFromContext(r.Context())
	writeJSON(w, http.StatusOK, ok(map[string]any{"path": req.Path, "bytes": len(req.Content), "agent_id": verdict.AgentID}))
}

func (ws *workspace) commit(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	ws.mu.Lock()
	ws.branches[req.Branch] = append(ws.branches[req.Branch], req.Message)
	n := len(ws.branches[req.Branch])
	paths := make([]string, 0, len(ws.files))
	for p := range ws.files {
		paths = append(paths, p)
	}
	ws.mu.Unlock()
	sort.Strings(paths)
	writeJSON(w, http.StatusOK, ok(map[string]any{"branch": req.Branch, "commits": n, "files": paths}))
}

func ok(data any) map[string]any { return map[string]any{"success": true, "data": data, "error": nil} }

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
