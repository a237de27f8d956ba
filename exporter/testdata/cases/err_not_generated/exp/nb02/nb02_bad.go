package nb02

// Mine is hand-written.
func Mine() {}
