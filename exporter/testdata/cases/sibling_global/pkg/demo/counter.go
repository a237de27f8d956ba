package demo

// Counter counts.
var Counter = &counter{}

type counter struct{ n int }

// Next returns the next number.
func (c *counter) Next() int { c.n++; return c.n }
