package archonauth_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	archonauth "github.com/archon-ai/archon-auth/sdks/go"
	"github.com/archon-ai/archon-auth/sdks/go/archontest"
)

// Webhooks through the typed client, against the real server and a real receiver on 127.0.0.1
// (allowed by webhooks.allow_networks): endpoint administration, signed deliveries verified by hand
// (the Standard Webhooks Go library is not on this machine's module list), the delivery log, a
// redelivery, and both secrets signing during a rotation.

const webhookConfig = "webhooks:\n  retry_schedule_seconds: [1, 1]\n  allow_networks: [\"127.0.0.0/8\"]\n"

var secretShape = regexp.MustCompile(`^whsec_[A-Za-z0-9+/]{43}=$`)

type receivedHook struct {
	header http.Header
	body   []byte
}

// hookReceiver records every request it is sent and answers 200.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	seen []receivedHook
}

func startHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.seen = append(r.seen, receivedHook{req.Header.Clone(), body})
		r.mu.Unlock()
	}))
	t.Cleanup(r.Close)
	return r
}

// waitFor returns the first n requests, failing the test when they do not come within 15 s.
func (r *hookReceiver) waitFor(t *testing.T, n int) []receivedHook {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r.mu.Lock()
		got := append([]receivedHook(nil), r.seen...)
		r.mu.Unlock()
		if len(got) >= n {
			return got[:n]
		}
	}
	t.Fatalf("the receiver did not get %d deliveries", n)
	return nil
}

// verifyHook checks the Standard Webhooks signature with secret (one of the space-separated "v1,"
// signatures must be the HMAC-SHA256 of "id.timestamp.body") and returns the payload.
func verifyHook(t *testing.T, secret string, h receivedHook) map[string]any {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatalf("secret: %v", err)
	}
	id, ts := h.header.Get("webhook-id"), h.header.Get("webhook-timestamp")
	sent, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sent, 0)).Abs() > 5*time.Minute {
		t.Fatalf("webhook-timestamp %q", ts)
	}
	if !hasSignature(h.header.Get("webhook-signature"), sign(key, id, ts, h.body)) {
		return nil
	}
	var payload map[string]any
	if err := json.Unmarshal(h.body, &payload); err != nil {
		t.Fatalf("body: %v", err)
	}
	return payload
}

func sign(key []byte, id, ts string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func hasSignature(header, want string) bool {
	for _, sig := range strings.Fields(header) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}

func registerForHook(t *testing.T, srv *archontest.Server) string {
	t.Helper()
	res, err := newClient(t, srv).Register(context.Background(), archonauth.RegisterRequest{
		Email: fmt.Sprintf("hook-%d@example.com", time.Now().UnixNano()), Password: "hooked passphrase number one",
		Name: "Hooked", TermsAccepted: true})
	if err != nil {
		t.Fatal(err)
	}
	return res.UserID
}

func TestWebhookAdministration(t *testing.T) {
	srv := archontest.Start(t, webhookConfig)
	ctx := context.Background()
	admin := adminClient(t, srv)
	created, err := admin.CreateWebhook(ctx, archonauth.WebhookCreate{URL: "http://127.0.0.1:9/unused",
		EventTypes: []string{archonauth.EventUserLocked}, Description: "ops"})
	if err != nil || !secretShape.MatchString(created.Secret) || !created.Enabled || created.DisabledReason != nil {
		t.Fatalf("create: %v %v", created, err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v %s", created, created, created, created), created.Secret[6:40]) {
		t.Fatal("printing the created webhook shows the secret")
	}
	got, err := admin.GetWebhook(ctx, created.ID)
	if err != nil || got.ID != created.ID || got.Description != "ops" || got.LastSuccessAt != nil {
		t.Fatalf("get: %+v %v", got, err)
	}
	page, err := admin.ListWebhooks(ctx, archonauth.ListWebhooksParams{Limit: 100})
	if err != nil || len(page.Items) == 0 || page.Items[0].ID != created.ID {
		t.Fatalf("list: %+v %v", page, err)
	}
	off, empty := false, ""
	updated, err := admin.UpdateWebhook(ctx, created.ID, archonauth.WebhookUpdate{Enabled: &off, Description: &empty,
		EventTypes: []string{archonauth.EventAll}})
	if err != nil || updated.Enabled || updated.Description != "" || updated.EventTypes[0] != "*" || updated.URL != created.URL {
		t.Fatalf("update: %+v %v", updated, err)
	}
	if err := admin.DeleteWebhook(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.GetWebhook(ctx, created.ID); !errors.Is(err, archonauth.CodeResourceNotFound) {
		t.Fatalf("a deleted webhook: %v", err)
	}
	_, err = admin.CreateWebhook(ctx, archonauth.WebhookCreate{URL: "http://[::1]:9/", EventTypes: []string{"*"}})
	var apiErr *archonauth.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 422 || apiErr.Details["url"] == nil {
		t.Fatalf("a loopback address outside allow_networks: %#v", err)
	}
}

func TestWebhookDeliveriesVerifyRedeliverAndRotate(t *testing.T) {
	srv := archontest.Start(t, webhookConfig)
	recv := startHookReceiver(t)
	ctx := context.Background()
	admin := adminClient(t, srv)
	hook, err := admin.CreateWebhook(ctx, archonauth.WebhookCreate{URL: recv.URL + "/hooks", EventTypes: []string{archonauth.EventUserRegistered}})
	if err != nil {
		t.Fatal(err)
	}
	userID := registerForHook(t, srv)
	first := recv.waitFor(t, 1)[0]
	payload := verifyHook(t, hook.Secret, first)
	if payload == nil || payload["type"] != "user.registered" || payload["data"].(map[string]any)["user_id"] != userID {
		t.Fatalf("delivery does not verify or is not the registration: %s", first.body)
	}
	delivery := settledDelivery(t, admin, hook.ID)
	log := delivery.AttemptLog
	if delivery.EventID != first.header.Get("webhook-id") || delivery.Status != "succeeded" || len(log) != 1 ||
		log[0].StatusCode == nil || *log[0].StatusCode != 200 || log[0].Error != nil {
		t.Fatalf("delivery log: %+v", delivery)
	}

	again, err := admin.RedeliverWebhook(ctx, hook.ID, delivery.ID)
	if err != nil || again.Status != "pending" || again.DeliveryID == delivery.ID {
		t.Fatalf("redeliver: %+v %v", again, err)
	}
	resent := recv.waitFor(t, 2)[1]
	if resent.header.Get("webhook-id") != delivery.EventID || string(resent.body) != string(first.body) || verifyHook(t, hook.Secret, resent) == nil {
		t.Fatalf("redelivery: %v %s", resent.header, resent.body)
	}

	rotated, err := admin.RotateWebhookSecret(ctx, hook.ID)
	if err != nil || rotated.Secret == hook.Secret || !secretShape.MatchString(rotated.Secret) || rotated.PreviousSecretExpiresAt == nil {
		t.Fatalf("rotate: %v %v", rotated, err)
	}
	registerForHook(t, srv)
	during := recv.waitFor(t, 3)[2]
	if len(strings.Fields(during.header.Get("webhook-signature"))) != 2 ||
		verifyHook(t, rotated.Secret, during) == nil || verifyHook(t, hook.Secret, during) == nil {
		t.Fatalf("during the rotation both secrets must verify: %q", during.header.Get("webhook-signature"))
	}
	if verifyHook(t, "whsec_"+base64.StdEncoding.EncodeToString(make([]byte, 32)), during) != nil {
		t.Fatal("a wrong secret verified")
	}
}

// settledDelivery is the endpoint's only delivery once it is no longer pending.
func settledDelivery(t *testing.T, admin *archonauth.Client, id string) archonauth.WebhookDelivery {
	t.Helper()
	for i := 0; ; i++ {
		page, err := admin.ListWebhookDeliveries(context.Background(), id, archonauth.ListWebhookDeliveriesParams{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) == 1 && page.Items[0].Status != "pending" || i >= 100 {
			if len(page.Items) != 1 {
				t.Fatalf("deliveries: %+v", page.Items)
			}
			return page.Items[0]
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestAServiceManagesWebhooksWithAKeyAlone(t *testing.T) {
	srv := archontest.Start(t, webhookConfig)
	ctx := context.Background()
	admin := adminClient(t, srv)
	key, err := admin.CreateAPIKey(ctx, archonauth.APIKeyCreate{Name: "hook manager", Scopes: []string{archonauth.ScopeWebhooksManage}})
	if err != nil {
		t.Fatal(err)
	}
	svc := newClient(t, srv, archonauth.WithAPIKey(key.Key), archonauth.WithRetries(0))
	off := false
	hook, err := svc.CreateWebhook(ctx, archonauth.WebhookCreate{URL: "http://127.0.0.1:9/svc", EventTypes: []string{archonauth.EventAll}, Enabled: &off})
	if err != nil || hook.Enabled {
		t.Fatalf("create with the key: %v %v", hook, err)
	}
	if d, err := svc.ListWebhookDeliveries(ctx, hook.ID, archonauth.ListWebhookDeliveriesParams{}); err != nil || len(d.Items) != 0 {
		t.Fatalf("deliveries with the key: %+v %v", d, err)
	}
	if err := svc.DeleteWebhook(ctx, hook.ID); err != nil {
		t.Fatal(err)
	}
	reader, err := admin.CreateAPIKey(ctx, archonauth.APIKeyCreate{Name: "reader", Scopes: []string{archonauth.ScopeUsersRead}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = newClient(t, srv, archonauth.WithAPIKey(reader.Key)).ListWebhooks(ctx, archonauth.ListWebhooksParams{})
	var apiErr *archonauth.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 403 || apiErr.Details["required_scope"] != "webhooks:manage" {
		t.Fatalf("a key without webhooks:manage: %#v", err)
	}
}
