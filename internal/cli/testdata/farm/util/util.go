package util

type Options struct{ Upper bool }
