package main

import "context"

// cmdParse is being written; until then it says so and exits with exitUsage.
func cmdParse(ctx context.Context, env *Env, args []string) int {
	return errorf(env, "parse", exitUsage, "not implemented yet")
}
