module github.com/archon-ai/archon-auth/examples/go-tool-server

go 1.24.0

require (
	github.com/archon-ai/archon-auth/sdks/go v0.0.0
	github.com/go-jose/go-jose/v4 v4.1.9
)

require golang.org/x/sync v0.19.0 // indirect

replace github.com/archon-ai/archon-auth/sdks/go => ../../sdks/go
