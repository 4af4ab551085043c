package main

import (
	"context"
	"fmt"
	"runtime/debug"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise
// the module version from the build info, or "devel".
var version = ""

func sigtoolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func cmdVersion(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet(env, "version", "", "Print sigtool's version.")
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fmt.Fprintf(env.Stdout, "sigtool %s\n", sigtoolVersion())
	return exitOK
}
