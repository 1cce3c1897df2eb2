package archonauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/sync/singleflight"
)

// keySet is one fetch of discovery and the JWKS.
type keySet struct {
	issuer    string
	algs      []string // agent_token_signing_alg_values_supported
	keys      map[string]jose.JSONWebKey
	fetchedAt time.Time
}

// keyCache holds the current key set. Fetches are shared (singleflight); a stale set keeps serving
// when a refetch fails, and an unknown kid triggers a refetch at most once per refetch interval.
type keyCache struct {
	v      *Verifier
	mu     sync.Mutex
	set    keySet
	last   time.Time // the last fetch attempt, successful or not
	flight singleflight.Group
}

func (k *keyCache) snapshot() (keySet, time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.set, k.last
}

// lookup returns a key set that has the kid when one can be had within the rules.
func (k *keyCache) lookup(ctx context.Context, kid string) (keySet, error) {
	set, last := k.snapshot()
	now := k.v.now()
	switch {
	case set.keys == nil || now.Sub(set.fetchedAt) >= k.v.maxAge:
		if err := k.refresh(ctx, false); err != nil && set.keys == nil {
			return keySet{}, err
		}
	case set.keys[kid].Key == nil && now.Sub(last) >= k.v.refetchInterval:
		_ = k.refresh(ctx, false) // an unknown kid: maybe a rotation; a failure leaves the old set
	}
	set, _ = k.snapshot()
	return set, nil
}

// refresh fetches discovery and the key set, unless another fetch finished meanwhile (force: always).
func (k *keyCache) refresh(ctx context.Context, force bool) error {
	_, before := k.snapshot()
	_, err, _ := k.flight.Do("fetch", func() (any, error) {
		if _, last := k.snapshot(); !force && last.After(before) {
			return nil, nil // a fetch completed while this caller waited to start one
		}
		k.mu.Lock()
		k.last = k.v.now()
		k.mu.Unlock()
		set, err := k.fetch(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		k.mu.Lock()
		k.set = set
		k.mu.Unlock()
		return nil, nil
	})
	return err
}

func (k *keyCache) fetch(ctx context.Context) (keySet, error) {
	var disc Discovery
	if err := k.getJSON(ctx, k.v.discoveryURL, &disc); err != nil {
		return keySet{}, err
	}
	if disc.Issuer == "" || disc.JWKSURI == "" || len(disc.AgentTokenSigningAlgValuesSupported) == 0 {
		return keySet{}, fmt.Errorf("%w: the discovery document lacks issuer, jwks_uri or agent algorithms", ErrKeysUnavailable)
	}
	var jwks jose.JSONWebKeySet
	if err := k.getJSON(ctx, disc.JWKSURI, &jwks); err != nil {
		return keySet{}, err
	}
	set := keySet{issuer: disc.Issuer, algs: disc.AgentTokenSigningAlgValuesSupported,
		keys: map[string]jose.JSONWebKey{}, fetchedAt: k.v.now()}
	for _, key := range jwks.Keys {
		// Only public signature keys with a kid and an algorithm; anything else is ignored.
		if key.KeyID == "" || key.Algorithm == "" || !key.IsPublic() || !key.Valid() || (key.Use != "" && key.Use != "sig") {
			continue
		}
		set.keys[key.KeyID] = key
	}
	return set, nil
}

func (k *keyCache) getJSON(ctx context.Context, target string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", DefaultUserAgent)
	resp, err := k.v.httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s answered %d", ErrKeysUnavailable, target, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out); err != nil {
		return fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
	}
	return nil
}
