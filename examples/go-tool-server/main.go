// Command go-tool-server is an example tool server for archon-auth agents: file and git tools whose
// every call must carry an agent token that allows the tool's capability on the path or branch.
//
//	ARCHON_AUTH_URL=http://127.0.0.1:8181 go run . -listen 127.0.0.1:8282 -mode offline
//
// Modes: offline (verify with the published keys; revocations are not seen), online (ask archon-auth
// for every call; needs ARCHON_CLIENT_ID and ARCHON_CLIENT_SECRET of a service client), both (offline
// first, then online for the tokens that verify).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	archonauth "github.com/archon-ai/archon-auth/sdks/go"
)

type config struct {
	authURL      string
	mode         string
	clientID     string
	clientSecret string
	leeway       time.Duration
}

// buildAuthorizer turns the configuration into the Authorizer the guard uses.
func buildAuthorizer(cfg config) (archonauth.Authorizer, error) {
	verifier, err := archonauth.NewVerifier(cfg.authURL, archonauth.WithLeeway(cfg.leeway))
	if err != nil {
		return nil, err
	}
	if cfg.mode == "offline" {
		return verifier, nil
	}
	if cfg.clientID == "" || cfg.clientSecret == "" {
		return nil, errors.New("online modes need ARCHON_CLIENT_ID and ARCHON_CLIENT_SECRET (archon-auth clients create)")
	}
	client, err := archonauth.New(cfg.authURL, archonauth.WithServiceClient(cfg.clientID, cfg.clientSecret))
	if err != nil {
		return nil, err
	}
	online := archonauth.OnlineAuthorizer{Client: client}
	switch cfg.mode {
	case "online":
		return online, nil
	case "both":
		return archonauth.VerifyAndAsk{Verifier: verifier, Online: online}, nil
	}
	return nil, fmt.Errorf("unknown mode %q (offline, online or both)", cfg.mode)
}

func contextWith(r *http.Request, req toolRequest) context.Context {
	return context.WithValue(r.Context(), ctxKey{}, req)
}

func main() {
	listen := flag.String("listen", "127.0.0.1:8282", "HOST:PORT to serve on")
	cfg := config{authURL: os.Getenv("ARCHON_AUTH_URL"), clientID: os.Getenv("ARCHON_CLIENT_ID"),
		clientSecret: os.Getenv("ARCHON_CLIENT_SECRET")}
	flag.StringVar(&cfg.mode, "mode", "offline", "offline, online or both")
	flag.DurationVar(&cfg.leeway, "leeway", 30*time.Second, "clock skew allowed on exp, nbf, iat")
	flag.Parse()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if cfg.authURL == "" {
		logger.Error("set ARCHON_AUTH_URL to archon-auth's base URL")
		os.Exit(2)
	}
	auth, err := buildAuthorizer(cfg)
	if err != nil {
		logger.Error("configuration", "error", err)
		os.Exit(2)
	}
	if v, ok := auth.(*archonauth.Verifier); ok {
		// Fail at start-up, not at the first call, when the keys cannot be read.
		if err := v.Prefetch(context.Background()); err != nil {
			logger.Warn("cannot read archon-auth's keys yet", "error", err)
		}
	}
	srv := &http.Server{Addr: *listen, Handler: newHandler(auth, logger), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	logger.Info("listening", "address", *listen, "mode", cfg.mode)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("serve", "error", err)
		os.Exit(1)
	}
}
