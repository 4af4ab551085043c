package main

import "context"

// cmdLint is being written; until then it says so and exits with exitUsage.
func cmdLint(ctx context.Context, env *Env, args []string) int {
	return errorf(env, "lint", exitUsage, "not implemented yet")
}
