// Command ferretdb runs FerretDB v1 embedded as a library. The stock cmd/ferretdb
// binary of v1.24.2 panics at start when built with `go install`, because it reads a
// version file that only its own build generates. The embeddable package has no such step.
package main

import (
	"context"
	"flag"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	handler := flag.String("handler", "postgresql", "backend: postgresql or sqlite")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL URL for the postgresql backend")
	sqliteURL := flag.String("sqlite-url", "", "SQLite directory URL (file:/path/) for the sqlite backend")
	exitOnStdinEOF := flag.Bool("exit-on-stdin-eof", false,
		"shut down when standard input reaches end of file, so a parent holding a pipe to stdin "+
			"takes this process with it when the parent dies, even from SIGKILL")
	flag.Parse()

	config := &ferretdb.Config{
		Listener: ferretdb.ListenerConfig{TCP: *listen},
		Handler:  *handler,
	}
	switch *handler {
	case "postgresql":
		if *postgresqlURL == "" {
			log.Fatal("ferretdb: -postgresql-url is required for the postgresql backend")
		}
		config.PostgreSQLURL = *postgresqlURL
	case "sqlite":
		if *sqliteURL == "" {
			log.Fatal("ferretdb: -sqlite-url is required for the sqlite backend")
		}
		config.SQLiteURL = *sqliteURL
	default:
		log.Fatalf("ferretdb: unknown -handler %q, expected postgresql or sqlite", *handler)
	}

	instance, err := ferretdb.New(config)
	if err != nil {
		log.Fatalf("ferretdb: start failed: %v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *exitOnStdinEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			log.Print("ferretdb: standard input closed, shutting down")
			stop()
		}()
	}

	log.Printf("ferretdb: listening on %s (backend %s)", *listen, *handler)
	if err := instance.Run(ctx); err != nil {
		log.Fatalf("ferretdb: stopped with error: %v", err)
	}
}
