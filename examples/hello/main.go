// Command hello is slimgo's example: a small HTTP service with a health check.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"time"
)

var started = time.Now()

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"status": "ok",
			"uid":    os.Getuid(),
			"uptime": time.Since(started).Round(time.Millisecond).String(),
		})
	})
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("hello from a slim Go image\n"))
	})
	log.Printf("hello: listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
