module github.com/archon-ai/archon-auth/sdks/go

go 1.24.0
