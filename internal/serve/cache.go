package serve

import (
	"container/list"
	"net/http"
	"sync"

	"github.com/pgbaseline/pgbaseline/internal/store"
)

// responseCache keeps encoded API responses about finished scans. A done or
// failed scan never changes, so its detail, its results under a filter and
// its diff with another finished scan can be answered from memory; the
// cache is bounded by the bytes it holds, least recently used out first.
type responseCache struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // of *cacheEntry, front = most recent
	byKey map[string]*list.Element
}

type cacheEntry struct {
	key  string
	code int
	body []byte
}

func newResponseCache(maxBytes int) *responseCache {
	return &responseCache{max: maxBytes, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *responseCache) get(key string) (*cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*cacheEntry), true
}

func (c *responseCache) put(key string, code int, body []byte) {
	if len(body) > c.max/8 {
		return // one huge report must not flush everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.size -= len(el.Value.(*cacheEntry).body)
		c.order.Remove(el)
	}
	c.byKey[key] = c.order.PushFront(&cacheEntry{key: key, code: code, body: body})
	c.size += len(body)
	for c.size > c.max {
		last := c.order.Back()
		e := last.Value.(*cacheEntry)
		c.order.Remove(last)
		delete(c.byKey, e.key)
		c.size -= len(e.body)
	}
}

// finished reports whether a scan will never change again.
func finished(sc store.Scan) bool {
	return sc.Status == store.ScanDone || sc.Status == store.ScanFailed
}

// writeCached answers from the cache when it holds key.
func (c *responseCache) writeCached(w http.ResponseWriter, key string) bool {
	e, ok := c.get(key)
	if !ok {
		return false
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(e.code)
	_, _ = w.Write(e.body)
	return true
}
