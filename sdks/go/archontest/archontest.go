// Package archontest starts a real archon-auth server for tests: a fresh data directory, a free
// port, relaxed rate limits, and helpers for the command-line tools (users create, clients create,
// tokens issue, keys rotate) and the mail outbox.
//
// The binary is $ARCHON_AUTH_BIN. When it is unset the test is skipped, unless
// ARCHON_REQUIRE_SERVER=1, which makes a missing binary a failure (CI sets it).
package archontest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RelaxedRateLimits is the rate_limits block of tests/api/conftest.py: the spec's limits would stop
// tests that all come from 127.0.0.1.
const RelaxedRateLimits = `rate_limits:
  authentication:
    login: {per_ip: "1000000/second", per_user: "1000000/second"}
    register: {per_ip: "1000000/second", global: "1000000/second"}
    password_reset: {per_email: "1000000/second", per_ip: "1000000/second"}
  api_access:
    authenticated: {per_user: "1000000/second", burst: 1000000}
    agent: {per_agent: "1000000/second", burst: 1000000}
    admin: {per_user: "1000000/second", burst: 1000000}
  public:
    health_check: {per_ip: "1000000/second"}
    documentation: {per_ip: "1000000/second"}
`

// FixedIssuer is a tokens block that pins the issuer. Start a server with it to use IssueToken: by
// default the issuer is the server's public URL, which the CLI cannot know for a server listening on
// a port chosen at start, so CLI-minted tokens would carry http://127.0.0.1:8181 and fail to verify.
const FixedIssuer = "tokens:\n  issuer: \"archon-test-issuer\"\n"

// Server is a running `archon-auth serve`.
type Server struct {
	URL     string // http://127.0.0.1:PORT
	Bin     string
	Dir     string // the work directory: config.yaml, stderr.log
	DataDir string
	Config  string // the config file's path

	cmd      *exec.Cmd
	done     chan struct{}
	stopOnce sync.Once
}

// Binary returns $ARCHON_AUTH_BIN, skipping the test when it is unset (failing under
// ARCHON_REQUIRE_SERVER=1).
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("ARCHON_AUTH_BIN")
	if bin == "" {
		if os.Getenv("ARCHON_REQUIRE_SERVER") == "1" {
			t.Fatal("ARCHON_AUTH_BIN is not set")
		}
		t.Skip("ARCHON_AUTH_BIN is not set: no archon-auth binary to test against")
	}
	if st, err := os.Stat(bin); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		t.Fatalf("ARCHON_AUTH_BIN=%s is not an executable file", bin)
	}
	return bin
}

// Start runs the server with extraConfig (YAML) and stops it when the test ends. RelaxedRateLimits
// is prepended unless extraConfig has its own top-level rate_limits block. It fails the test if the server logs a sanitizer
// report or exits badly.
func Start(t testing.TB, extraConfig string) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	s := &Server{Bin: bin, Dir: dir, DataDir: filepath.Join(dir, "data"), Config: filepath.Join(dir, "config.yaml"),
		done: make(chan struct{})}
	if err := os.WriteFile(s.Config, []byte(withLimits(extraConfig)), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", s.DataDir, "--config", s.Config)
	s.cmd.Env = cleanEnv()
	s.cmd.Stderr = stderr
	s.cmd.Dir = dir
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() { _ = s.cmd.Wait(); stderr.Close(); close(s.done) }()
	t.Cleanup(func() { s.Stop(t) })
	if err := s.waitListening(60 * time.Second); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, tail(s.Stderr(), 4000))
	}
	return s
}

func withLimits(config string) string {
	if strings.HasPrefix(config, "rate_limits:") || strings.Contains(config, "\nrate_limits:") {
		return config
	}
	return RelaxedRateLimits + config
}

func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ARCHON_AUTH_") {
			env = append(env, kv)
		}
	}
	return append(env, "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS=print_stacktrace=1")
}

func (s *Server) waitListening(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(s.Stderr()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct {
				Msg     string `json:"msg"`
				Address string `json:"address"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" && line.Address != "" {
				s.URL = "http://" + line.Address
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("archon-auth exited before listening")
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("archon-auth did not log a listening address within %v", timeout)
}

// Stderr is what the server has logged so far.
func (s *Server) Stderr() string {
	data, _ := os.ReadFile(filepath.Join(s.Dir, "stderr.log"))
	return string(data)
}

// Stop sends SIGTERM, waits for the exit and reports sanitizer findings and a bad exit as failures.
func (s *Server) Stop(t testing.TB) {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
			t.Errorf("archon-auth did not exit within 20 s of SIGTERM")
		}
		text := s.Stderr()
		for _, marker := range []string{"AddressSanitizer", "LeakSanitizer", "runtime error:", "ThreadSanitizer"} {
			if i := strings.Index(text, marker); i >= 0 {
				t.Errorf("archon-auth stderr has %q:\n%s", marker, text[max(0, i-300):min(len(text), i+3000)])
			}
		}
		if code := s.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("archon-auth exited with %d", code)
		}
	})
}

// Run runs `archon-auth <args> --data-dir D --config C` with stdin and returns stdout.
func (s *Server) Run(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	args = append(args, "--data-dir", s.DataDir, "--config", s.Config)
	cmd := exec.Command(s.Bin, args...)
	cmd.Env = cleanEnv()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("archon-auth %s: %v\n%s", strings.Join(args[:2], " "), err, tail(stderr.String(), 3000))
	}
	return stdout.String()
}

// CreateUser makes a verified user with the role (user, agent_operator or admin).
func (s *Server) CreateUser(t testing.TB, email, name, role, password string) {
	t.Helper()
	s.Run(t, password, "users", "create", "--email", email, "--name", name, "--role", role)
}

// CreateServiceClient makes a service client (for introspection and agent verify).
func (s *Server) CreateServiceClient(t testing.TB, name string) (id, secret string) {
	t.Helper()
	var out struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.Unmarshal([]byte(s.Run(t, "", "clients", "create", "--name", name)), &out); err != nil {
		t.Fatalf("clients create: %v", err)
	}
	return out.ClientID, out.ClientSecret
}

// IssueToken mints a token with the server's current key (`tokens issue`). The server must have been
// started with FixedIssuer for the token's iss to match discovery.
func (s *Server) IssueToken(t testing.TB, kind, subject string, ttl time.Duration) string {
	t.Helper()
	out := s.Run(t, "", "tokens", "issue", "--kind", kind, "--subject", subject, "--ttl", fmt.Sprint(int(ttl.Seconds())))
	return strings.TrimSpace(out)
}

// RotateKeys adds a signing key of the kind; immediately makes it sign at once.
func (s *Server) RotateKeys(t testing.TB, kind string, immediately bool) {
	t.Helper()
	args := []string{"keys", "rotate", "--kind", kind}
	if immediately {
		args = append(args, "--immediately")
	}
	s.Run(t, "", args...)
}

var tokenLine = map[string]*regexp.Regexp{
	"verification": regexp.MustCompile(`Verification token:\s*(\S+)`),
	"reset":        regexp.MustCompile(`Reset token:\s*(\S+)`),
}

// MailToken waits for a mail to address with a "Verification token:" (kind "verification") or
// "Reset token:" line and returns the token.
func (s *Server) MailToken(t testing.TB, address, kind string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		files, _ := filepath.Glob(filepath.Join(s.DataDir, "mail", "*.eml"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil || !bytes.Contains(bytes.ToLower(data), []byte(strings.ToLower(address))) {
				continue
			}
			// Quoted-printable soft line breaks would split a long token.
			text := strings.ReplaceAll(string(data), "=\r\n", "")
			text = strings.ReplaceAll(text, "=\n", "")
			if m := tokenLine[kind].FindStringSubmatch(text); m != nil {
				return m[1]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s token mailed to %s", kind, address)
	return ""
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
