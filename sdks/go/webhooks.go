package archonauth

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// ---- Webhooks (permission webhooks:manage: an administrator's session, or a key with that scope) ---

// CreateWebhook registers an endpoint. The answer's Secret (whsec_...) signs the deliveries and is
// shown this once: store it now.
func (c *Client) CreateWebhook(ctx context.Context, req WebhookCreate) (*CreatedWebhook, error) {
	var out CreatedWebhook
	_, err := c.do(ctx, call{method: http.MethodPost, path: "/admin/webhooks", body: req, auth: authUser}, &out)
	return result(&out, err)
}

// ListWebhooks lists the endpoints, newest first, never with their secrets.
func (c *Client) ListWebhooks(ctx context.Context, p ListWebhooksParams) (*Page[Webhook], error) {
	return list[Webhook](ctx, c, call{method: http.MethodGet, path: "/admin/webhooks", query: pageQuery(p.Page, p.Limit), auth: authUser})
}

// GetWebhook reads one endpoint.
func (c *Client) GetWebhook(ctx context.Context, id string) (*Webhook, error) {
	var out Webhook
	_, err := c.do(ctx, call{method: http.MethodGet, path: webhookPath(id), auth: authUser}, &out)
	return result(&out, err)
}

// UpdateWebhook changes the fields set in req. Re-enabling an endpoint clears its DisabledReason.
func (c *Client) UpdateWebhook(ctx context.Context, id string, req WebhookUpdate) (*Webhook, error) {
	var out Webhook
	_, err := c.do(ctx, call{method: http.MethodPatch, path: webhookPath(id), body: req, auth: authUser}, &out)
	return result(&out, err)
}

// DeleteWebhook deletes the endpoint and its delivery log.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	_, err := c.do(ctx, call{method: http.MethodDelete, path: webhookPath(id), auth: authUser}, nil)
	return err
}

// RotateWebhookSecret makes a new secret (in this answer only). The old one keeps signing beside it
// until PreviousSecretExpiresAt, so receivers can switch without losing a delivery.
func (c *Client) RotateWebhookSecret(ctx context.Context, id string) (*CreatedWebhook, error) {
	var out CreatedWebhook
	_, err := c.do(ctx, call{method: http.MethodPost, path: webhookPath(id) + "/rotate-secret", auth: authUser}, &out)
	return result(&out, err)
}

// ListWebhookDeliveries lists the endpoint's deliveries, newest first, each with its attempt log.
func (c *Client) ListWebhookDeliveries(ctx context.Context, id string, p ListWebhookDeliveriesParams) (*Page[WebhookDelivery], error) {
	return list[WebhookDelivery](ctx, c, call{method: http.MethodGet, path: webhookPath(id) + "/deliveries",
		query: pageQuery(p.Page, p.Limit), auth: authUser})
}

// RedeliverWebhook sends a delivery's event again, as a new delivery (same webhook-id and body).
func (c *Client) RedeliverWebhook(ctx context.Context, id string, deliveryID int64) (*Redelivery, error) {
	var out Redelivery
	path := webhookPath(id) + "/deliveries/" + strconv.FormatInt(deliveryID, 10) + "/redeliver"
	_, err := c.do(ctx, call{method: http.MethodPost, path: path, auth: authUser}, &out)
	return result(&out, err)
}

func webhookPath(id string) string { return "/admin/webhooks/" + url.PathEscape(id) }

func pageQuery(page, limit int) url.Values {
	q := url.Values{}
	setInt(q, "page", page)
	setInt(q, "limit", limit)
	return q
}
