package world

import (
	"context"

	"example.com/farm/util"
)

type World struct{ Opts util.Options }

func NewWorld() *World { return &World{} }

func (w *World) Handle(_ context.Context, in string) (string, error) { return in + " world", nil }
