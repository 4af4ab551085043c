package matcher

import (
	"context"
	"errors"
	"io"

	"github.com/sigtool/sigtool/sigparse"
)

// The evaluation core replaces these in the next commits; until then a scan
// reports that plainly rather than pretending no rule matched.

type rule struct{}

var errNotReady = errors.New("matcher: engine not implemented yet")

func compile(rules []*sigparse.Rule, cfg Config) (*Engine, error) {
	return &Engine{cfg: cfg}, nil
}

func (e *Engine) scan(ctx context.Context, r io.Reader, name string, emit func(*Alert)) (Stats, error) {
	return Stats{}, errNotReady
}
