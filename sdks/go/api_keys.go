package archonauth

import (
	"context"
	"net/http"
	"net/url"
)

// ---- API keys (permission api_keys:manage: an administrator's session, never a key) ----------------

// CreateAPIKey creates a key for a service. The answer's Key is the secret, shown this once: store it
// now; the server keeps only its hash.
func (c *Client) CreateAPIKey(ctx context.Context, req APIKeyCreate) (*CreatedAPIKey, error) {
	var out CreatedAPIKey
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/admin/api-keys", body: req, auth: authUser}, &out)
	return result(&out, err)
}

// ListAPIKeys lists the keys, newest first, never with their secrets.
func (c *Client) ListAPIKeys(ctx context.Context, p ListAPIKeysParams) (*Page[APIKey], error) {
	q := url.Values{}
	setInt(q, "page", p.Page)
	setInt(q, "limit", p.Limit)
	return list[APIKey](ctx, c, call{method: http.MethodGet, path: "/admin/api-keys", query: q, auth: authUser})
}

// GetAPIKey reads one key's record.
func (c *Client) GetAPIKey(ctx context.Context, id string) (*APIKey, error) {
	var out APIKey
	_, err := c.do(ctx, call{method: http.MethodGet, path: "/admin/api-keys/" + url.PathEscape(id), auth: authUser}, &out)
	return result(&out, err)
}

// RevokeAPIKey revokes a key, at once on every instance. Revoking again answers the same record.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) (*APIKey, error) {
	var out APIKey
	_, err := c.do(ctx, call{method: http.MethodDelete, path: "/admin/api-keys/" + url.PathEscape(id), auth: authUser}, &out)
	return result(&out, err)
}
