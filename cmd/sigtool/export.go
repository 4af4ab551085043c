package main

import "context"

// cmdExport is being written; until then it says so and exits with exitUsage.
func cmdExport(ctx context.Context, env *Env, args []string) int {
	return errorf(env, "export", exitUsage, "not implemented yet")
}
