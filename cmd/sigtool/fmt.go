package main

import "context"

// cmdFmt is being written; until then it says so and exits with exitUsage.
func cmdFmt(ctx context.Context, env *Env, args []string) int {
	return errorf(env, "fmt", exitUsage, "not implemented yet")
}
