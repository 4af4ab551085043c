package main

import "context"

// cmdTest is being written; until then it says so and exits with exitUsage.
func cmdTest(ctx context.Context, env *Env, args []string) int {
	return errorf(env, "test", exitUsage, "not implemented yet")
}
