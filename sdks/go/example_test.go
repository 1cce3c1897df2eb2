package archonauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"time"

	archonauth "github.com/archon-ai/archon-auth/sdks/go"
)

// Sign in, read the profile, and tell error codes apart.
func Example() {
	ctx := context.Background()
	c, err := archonauth.New("https://auth.example.com", archonauth.WithTimeout(10*time.Second))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Login(ctx, archonauth.LoginRequest{Email: "ada@example.com", Password: "a long passphrase"}); err != nil {
		var apiErr *archonauth.Error
		switch {
		case errors.Is(err, archonauth.CodeAuthInvalidCredentials):
			log.Print("wrong email or password")
		case errors.As(err, &apiErr) && apiErr.Code == archonauth.CodeAuthAccountLocked:
			log.Printf("locked; retry in %v", apiErr.RetryAfter)
		default:
			log.Print(err)
		}
		return
	}
	me, err := c.Me(ctx) // refreshed and retried once if the access token is refused
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.Email)
}

// A tool server's route that writes files: the agent token must hold file:write for the path.
func ExampleGuard_RequireCapability() {
	verifier, err := archonauth.NewVerifier("https://auth.example.com")
	if err != nil {
		log.Fatal(err)
	}
	guard := archonauth.NewGuard(verifier)
	pathFromQuery := func(r *http.Request) archonauth.Resource {
		return archonauth.PathResource(r.URL.Query().Get("path"))
	}
	write := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		verdict, _ := archonauth.VerdictFromContext(r.Context())
		log.Printf("%v wrote %s for user %s", verdict.Claims.Actors(), r.URL.Query().Get("path"), verdict.Claims.Subject)
		w.WriteHeader(http.StatusNoContent)
	})
	mux := http.NewServeMux()
	mux.Handle("POST /write", guard.RequireCapability("file:write", pathFromQuery)(write))
	log.Fatal(http.ListenAndServe("127.0.0.1:9000", mux))
}

// The restriction rules, offline: the code_implementer type's restrictions.
func ExampleRestrictions_Check() {
	r, err := archonauth.ParseRestrictions([]byte(`{"file_paths":["/project/src/**"],"git_branches":["feature/*"],"max_file_size":"10MB"}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(r.Check(archonauth.PathResource("/project/src/app.ts")).Reason)
	fmt.Println(r.Check(archonauth.PathResource("/project/.env")).Reason)
	fmt.Println(r.Check(archonauth.PathResource("/project/src/../../etc/passwd")).Reason)
	fmt.Println(r.Check(archonauth.BranchResource("refs/heads/main")).Reason)
	fmt.Println(r.Check(archonauth.BranchResource("main ")).Reason)
	fmt.Println(r.Check(archonauth.PathResource("/project/src/big.bin").WithSize(10<<20 + 1)).Reason)
	// Output:
	// allowed
	// path_not_allowed
	// invalid_path
	// branch_not_allowed
	// invalid_branch
	// size_exceeds_limit
}

// Predicting a delegation: is a child pattern within the parent's?
func ExamplePathPatternWithin() {
	fmt.Println(archonauth.PathPatternWithin("/project/src/components/**", "/project/src/**"))
	fmt.Println(archonauth.PathPatternWithin("/project/**", "/project/src/**"))
	// Output:
	// true
	// false
}

// Sizes are binary: "10MB" is 10 x 1024 x 1024 bytes.
func ExampleParseSize() {
	n, _ := archonauth.ParseSize("10MB")
	fmt.Println(n, archonauth.FormatSize(1536))
	// Output: 10485760 1536B
}

// A tool server that must see revocations asks the server, as a service client.
func ExampleOnlineAuthorizer() {
	c, err := archonauth.New("https://auth.example.com", archonauth.WithServiceClient("svc_id", "secret"))
	if err != nil {
		log.Fatal(err)
	}
	verifier, _ := archonauth.NewVerifier("https://auth.example.com")
	guard := archonauth.NewGuard(archonauth.VerifyAndAsk{Verifier: verifier, Online: archonauth.OnlineAuthorizer{Client: c}})
	_ = guard
}
