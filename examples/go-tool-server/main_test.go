package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	archonauth "github.com/archon-ai/archon-auth/sdks/go"
	"github.com/archon-ai/archon-auth/sdks/go/archontest"
)

// The example against the real archon-auth binary: a code_implementer token may write
// /project/src/app.go and nothing outside /project/src; forged, expired and (online) revoked tokens
// are refused, each with its reason.

type fixture struct {
	srv      *archontest.Server
	user     *archonauth.Client
	grant    *archonauth.AgentTokenGrant
	clientID string
	secret   string
}

func setup(t *testing.T) *fixture {
	t.Helper()
	srv := archontest.Start(t, archontest.FixedIssuer) // IssueToken's tokens must match discovery
	email, password := "operator@example.com", "operator passphrase for the tool server"
	srv.CreateUser(t, email, "Operator", "admin", password)
	user, err := archonauth.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := user.Login(ctx, archonauth.LoginRequest{Email: email, Password: password}); err != nil {
		t.Fatal(err)
	}
	grant, err := user.AuthenticateAgent(ctx, archonauth.AgentAuthenticateRequest{AgentType: "code_implementer",
		CapabilitiesRequested: []string{"file:read", "file:write", "git:commit"}})
	if err != nil || len(grant.CapabilitiesGranted) != 3 {
		t.Fatalf("authenticate: %+v %v", grant, err)
	}
	id, secret := srv.CreateServiceClient(t, "go-tool-server")
	return &fixture{srv: srv, user: user, grant: grant, clientID: id, secret: secret}
}

// toolServer runs the example's handler in the given mode and collects its log.
func (f *fixture) toolServer(t *testing.T, mode string, leeway time.Duration) (*httptest.Server, *syncBuffer) {
	t.Helper()
	auth, err := buildAuthorizer(config{authURL: f.srv.URL, mode: mode, clientID: f.clientID, clientSecret: f.secret, leeway: leeway})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	ts := httptest.NewServer(newHandler(auth, slog.New(slog.NewJSONHandler(logs, nil))))
	t.Cleanup(ts.Close)
	return ts, logs
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

type answer struct {
	status    int
	challenge string
	body      struct {
		Success bool `json:"success"`
		Error   *struct {
			Code    string         `json:"code"`
			Details map[string]any `json:"details"`
			TraceID string         `json:"trace_id"`
		} `json:"error"`
	}
}

func (a answer) reason() string {
	if a.body.Error == nil {
		return "allowed"
	}
	r, _ := a.body.Error.Details["reason"].(string)
	return r
}

func callTool(t *testing.T, ts *httptest.Server, tool, token string, body map[string]string) answer {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/tools/"+tool, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate")}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("%s: not JSON: %s", tool, raw)
	}
	return a
}

func expect(t *testing.T, what string, a answer, status int, code, reason string) {
	t.Helper()
	gotCode := ""
	if a.body.Error != nil {
		gotCode = a.body.Error.Code
	}
	if a.status != status || gotCode != code || a.reason() != reason {
		t.Errorf("%s: %d %s %s, want %d %s %s", what, a.status, gotCode, a.reason(), status, code, reason)
	}
}

// forge signs the real token's claims with our own key under the real kid.
func forge(t *testing.T, real string) string {
	t.Helper()
	parts := strings.Split(real, ".")
	header, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	_ = json.Unmarshal(header, &h)
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("agent+jwt").WithHeader("kid", h["kid"]))
	if err != nil {
		t.Fatal(err)
	}
	jws, _ := signer.Sign(payload)
	out, _ := jws.CompactSerialize()
	return out
}

func TestOfflineToolServer(t *testing.T) {
	f := setup(t)
	ts, logs := f.toolServer(t, "offline", 0)
	token := f.grant.AgentToken
	write := func(path, content string) map[string]string {
		return map[string]string{"path": path, "content": content}
	}

	expect(t, "write app.go", callTool(t, ts, "write_file", token, write("/project/src/app.go", "package main\n")), 200, "", "allowed")
	expect(t, "read app.go", callTool(t, ts, "read_file", token, map[string]string{"path": "/project/src/app.go"}), 200, "", "allowed")
	expect(t, "write .env", callTool(t, ts, "write_file", token, write("/project/.env", "SECRET=1")), 403, "AUTH_INSUFFICIENT_PERMISSIONS", "path_not_allowed")
	expect(t, "traversal", callTool(t, ts, "write_file", token, write("/project/src/../../etc/passwd", "x")), 403, "AUTH_INSUFFICIENT_PERMISSIONS", "invalid_path")
	expect(t, "encoded traversal", callTool(t, ts, "write_file", token, write("/project/src/%2e%2e/x", "x")), 403, "AUTH_INSUFFICIENT_PERMISSIONS", "invalid_path")
	expect(t, "too big", callTool(t, ts, "write_file", token, write("/project/src/big.bin", strings.Repeat("x", 10<<20+1))), 403, "AUTH_INSUFFICIENT_PERMISSIONS", "size_exceeds_limit")
	expect(t, "commit feature", callTool(t, ts, "commit", token, map[string]string{"branch": "feature/login", "message": "m"}), 200, "", "allowed")
	expect(t, "commit main", callTool(t, ts, "commit", token, map[string]string{"branch": "refs/heads/main", "message": "m"}), 403, "AUTH_INSUFFICIENT_PERMISSIONS", "branch_not_allowed")

	a := callTool(t, ts, "write_file", forge(t, token), write("/project/src/app.go", "pwned"))
	expect(t, "forged", a, 401, "AUTH_TOKEN_INVALID", "token_invalid")
	if !strings.HasPrefix(a.challenge, "Bearer ") || a.body.Error == nil || a.body.Error.TraceID == "" {
		t.Errorf("forged: challenge %q, envelope %+v", a.challenge, a.body.Error)
	}
	expect(t, "no token", callTool(t, ts, "write_file", "", write("/project/src/app.go", "x")), 401, "AUTH_TOKEN_INVALID", "token_invalid")
	expect(t, "user's access token", callTool(t, ts, "write_file", f.user.Tokens().AccessToken, write("/project/src/app.go", "x")), 401, "AUTH_TOKEN_INVALID", "token_invalid")

	expired := f.srv.IssueToken(t, "agent", "user_expired", time.Second)
	time.Sleep(2100 * time.Millisecond)
	expect(t, "expired", callTool(t, ts, "write_file", expired, write("/project/src/app.go", "x")), 401, "AUTH_TOKEN_EXPIRED", "token_expired")

	// Offline cannot see a revocation: the token keeps working until it expires.
	if err := f.user.RevokeAgentToken(context.Background(), f.grant.AgentID); err != nil {
		t.Fatal(err)
	}
	expect(t, "revoked, offline", callTool(t, ts, "read_file", token, map[string]string{"path": "/project/src/app.go"}), 200, "", "allowed")

	text := logs.String()
	if strings.Contains(text, token) || !strings.Contains(text, `"actors":["`+f.grant.AgentID+`"]`) {
		t.Errorf("the decision log must name the actors and never the token:\n%s", text)
	}
}

func TestOnlineToolServerSeesRevocation(t *testing.T) {
	f := setup(t)
	for _, mode := range []string{"online", "both"} {
		ts, _ := f.toolServer(t, mode, 30*time.Second)
		grant, err := f.user.AuthenticateAgent(context.Background(), archonauth.AgentAuthenticateRequest{
			AgentType: "code_implementer", CapabilitiesRequested: []string{"file:write"}})
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]string{"path": "/project/src/app.go", "content": "package main\n"}
		expect(t, mode+": before", callTool(t, ts, "write_file", grant.AgentToken, body), 200, "", "allowed")
		expect(t, mode+": .env", callTool(t, ts, "write_file", grant.AgentToken, map[string]string{"path": "/project/.env"}), 403, "AUTH_INSUFFICIENT_PERMISSIONS", "path_not_allowed")
		expect(t, mode+": forged", callTool(t, ts, "write_file", forge(t, grant.AgentToken), body), 401, "AUTH_TOKEN_INVALID", "token_invalid")
		if err := f.user.RevokeAgentToken(context.Background(), grant.AgentID); err != nil {
			t.Fatal(err)
		}
		expect(t, mode+": revoked", callTool(t, ts, "write_file", grant.AgentToken, body), 401, "AUTH_TOKEN_INVALID", "token_revoked")
	}
}

// The built command, as an operator runs it.
func TestCommandServes(t *testing.T) {
	f := setup(t)
	bin := filepath.Join(t.TempDir(), "go-tool-server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "-listen", addr, "-mode", "offline")
	cmd.Env = append(os.Environ(), "ARCHON_AUTH_URL="+f.srv.URL)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	body, _ := json.Marshal(map[string]string{"path": "/project/src/app.go", "content": "x"})
	var resp *http.Response
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/tools/write_file", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.grant.AgentToken)
		if resp, err = http.DefaultClient.Do(req); err == nil {
			break
		}
	}
	if resp == nil {
		t.Fatalf("the command did not serve: %v\n%s", err, stderr.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("write through the command: %d\n%s", resp.StatusCode, stderr.String())
	}
}
