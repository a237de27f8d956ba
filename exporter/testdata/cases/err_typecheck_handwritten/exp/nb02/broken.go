package nb02

// broken is a hand-written mistake beside the generated file.
var broken int = "not an int"
