package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/brevduva/brevduva/internal/localsys"
)

func init() {
	register("serve", "run the local system (serve --config FILE | --demo DIR)", runServe)
	register("demo", "create the demo folder (demo init --dir DIR)", runDemo)
}

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (JSON)")
	demo := fs.String("demo", "", "demo folder: created on first use, then served; demo.json is written there")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if (*cfgPath == "") == (*demo == "") || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: brevduva serve --config FILE | --demo DIR [--log-level info]")
		return 2
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "brevduva serve: --log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lv}))
	descPath := ""
	if *demo != "" {
		p, created, err := localsys.InitDemo(*demo, localsys.DemoOptions{})
		if err != nil {
			fmt.Fprintf(stderr, "brevduva serve: %v\n", err)
			return 1
		}
		if created {
			fmt.Fprintf(stdout, "created the demo PKI and configuration in %s\n", *demo)
		}
		*cfgPath, descPath = p, filepath.Join(*demo, localsys.DemoDescriptionFile)
	}
	cfg, err := localsys.LoadConfig(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "brevduva serve: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sys, err := localsys.Start(cfg, localsys.Options{Logger: log})
	if err != nil {
		fmt.Fprintf(stderr, "brevduva serve: %v\n", err)
		return 1
	}
	if descPath != "" {
		if err := sys.WriteDescription(descPath); err != nil {
			fmt.Fprintf(stderr, "brevduva serve: %v\n", err)
		}
	}
	printURLs(stdout, sys.Description(), descPath)
	<-ctx.Done()
	stop()
	fmt.Fprintln(stdout, "stopping…")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := sys.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "brevduva serve: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, "stopped")
	return 0
}

func printURLs(w io.Writer, d localsys.Description, descPath string) {
	fmt.Fprintf(w, "Brevduva is running.\n  web         %s\n  SDK API     %s\n  token       %s\n  SMP         %s\n  address book %s\n  health      %s\n  DNS (SML %s) %s\n",
		d.WebURL, d.SDKAPIBaseURL, d.TokenURL, d.SMPURL, d.AddressBookURL, d.HealthURL, d.SMLZone, d.DNSServer)
	for _, t := range d.Tenants {
		fmt.Fprintf(w, "  tenant %-10s %s  AS4 %s  client %s\n", t.ID, t.Participant, t.AS4EndpointURL, t.ClientID)
	}
	for _, p := range d.TestParticipants {
		fmt.Fprintf(w, "  test bed   %s  (%s)\n", p.Participant, p.Name)
	}
	if descPath != "" {
		fmt.Fprintf(w, "demo description (client secrets): %s\n", descPath)
	}
	fmt.Fprintln(w, "Ctrl-C stops.")
}

func runDemo(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "init" {
		fmt.Fprintln(stderr, "usage: brevduva demo init --dir DIR [--free-ports] [--https]")
		return 2
	}
	fs := flag.NewFlagSet("demo init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "demo folder")
	free := fs.Bool("free-ports", false, "let every listener pick a free port")
	https := fs.Bool("https", false, "serve the shared port (SDK API, token, SMP, address book) over HTTPS")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *dir == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: brevduva demo init --dir DIR [--free-ports] [--https]")
		return 2
	}
	p, created, err := localsys.InitDemo(*dir, localsys.DemoOptions{FreePorts: *free, HTTPS: *https})
	if err != nil {
		fmt.Fprintf(stderr, "brevduva demo init: %v\n", err)
		return 1
	}
	if created {
		fmt.Fprintf(stdout, "created %s\n", p)
	} else {
		fmt.Fprintf(stdout, "kept %s\n", p)
	}
	return 0
}
