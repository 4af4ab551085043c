package main

import "context"

// cmdIptables is being written; until then it says so and exits with exitUsage.
func cmdIptables(ctx context.Context, env *Env, args []string) int {
	return errorf(env, "iptables", exitUsage, "not implemented yet")
}
