package main

import "context"

// cmdDemo is being written; until then it says so and exits with exitUsage.
func cmdDemo(ctx context.Context, env *Env, args []string) int {
	return errorf(env, "demo", exitUsage, "not implemented yet")
}
