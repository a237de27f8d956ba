// Package demo is a test package, partly written by hand.
package demo

// Greet greets s.
func Greet(s string) string { return "hi " + s }
