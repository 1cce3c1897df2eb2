module github.com/archon-ai/archon-auth/sdks/go

go 1.24.0

require golang.org/x/sync v0.19.0 // indirect
