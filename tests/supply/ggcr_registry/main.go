// Command ggcr-registry serves go-containerregistry's in-memory registry with the OCI 1.1 referrers API on, so the
// tests can push referrers to a registry that has the API (Debian's docker-registry has not: the fallback path).
//
// It listens on the address given (127.0.0.1:0 picks a free port) and prints the address it got as its first line
// of standard output; requests are logged to standard error.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	listener, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("listen %s: %v", *addr, err)
	}
	fmt.Println(listener.Addr().String())
	handler := registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(os.Stderr, "", log.LstdFlags)))
	server := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(server.Serve(listener))
}
