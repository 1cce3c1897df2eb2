// Package archonauth is the Go SDK of archon-auth: a client for its API, and the kit a tool server
// needs to check the agent tokens it is handed.
//
// # The client
//
// New takes the API root ("https://auth.example.com/api/v2", or the spec's "https://api.archon.ai/v2")
// or a bare origin, and functional options. Every call takes a context.
//
//	c, err := archonauth.New("https://auth.example.com", archonauth.WithTimeout(10*time.Second))
//	if err != nil { ... }
//	_, err = c.Login(ctx, archonauth.LoginRequest{Email: email, Password: password})
//	switch {
//	case errors.Is(err, archonauth.CodeAuthInvalidCredentials): // wrong email or password
//	case errors.Is(err, archonauth.CodeAuthAccountLocked):      // see (*Error).RetryAfter
//	}
//	me, err := c.Me(ctx)
//
// After Login the client holds the tokens (the refresh token comes in the body). A call refused with
// 401 refreshes the session once and is retried once; any number of goroutines meeting the 401
// together share a single refresh request. Idempotent calls (GET, HEAD, PUT, DELETE) are retried after
// network errors, 429 and 503, with exponential backoff and full jitter, or after the server's
// Retry-After when it sends one; POSTs are never retried. Errors are *Error values carrying the
// envelope's code, message, details and trace id; they match the exported Code constants with
// errors.Is.
//
// # Tool servers
//
// An agent calls a tool server with its agent token. The tool server decides each action with a
// Guard around an Authorizer:
//
//   - a *Verifier checks tokens offline with the published keys (discovery, then the JWKS; issuer,
//     audience, typ agent+jwt, algorithm, required claims, 30 s leeway) and applies the capability and
//     restriction rules of docs/agent-restrictions.md, which Restrictions implements and the shared
//     vectors in sdks/testdata check;
//   - OnlineAuthorizer asks POST /api/v2/auth/agents/verify, which also sees revocations;
//   - VerifyAndAsk does the first, then the second for tokens that verify.
//
// Guard.RequireCapability is net/http middleware: the request goes through when the token allows the
// capability on the resource, and is otherwise answered 401 or 403 in the API's error envelope with
// the decision's reason in error.details.reason:
//
//	v, _ := archonauth.NewVerifier("https://auth.example.com")
//	guard := archonauth.NewGuard(v)
//	mux.Handle("POST /tools/write_file", guard.RequireCapability("file:write", pathFromBody)(writeFile))
//
// Inside the handler, VerdictFromContext gives the verified claims and the actor chain to record.
//
// # Tests
//
// Package archontest starts a real archon-auth binary for integration tests.
package archonauth
