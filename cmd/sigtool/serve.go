package main

import "context"

// cmdServe is being written; until then it says so and exits with exitUsage.
func cmdServe(ctx context.Context, env *Env, args []string) int {
	return errorf(env, "serve", exitUsage, "not implemented yet")
}
