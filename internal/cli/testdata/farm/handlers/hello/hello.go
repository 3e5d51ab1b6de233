package hello

import "context"

type Hello struct{}

func init() {}

func (Hello) Handle(_ context.Context, in string) (string, error) { return "hello " + in, nil }
