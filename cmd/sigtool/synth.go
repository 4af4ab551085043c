package main

import "context"

// cmdSynth is being written; until then it says so and exits with exitUsage.
func cmdSynth(ctx context.Context, env *Env, args []string) int {
	return errorf(env, "synth", exitUsage, "not implemented yet")
}
