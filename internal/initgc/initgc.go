// Package initgc keeps the garbage collector off while the program's
// packages initialise, and gives it back when main starts.
//
// Package initialisation allocates some 3 MB that stays live (the JSON
// Schema validator's compiled meta-schemas, protobuf descriptors, client-go's
// tables), enough to start a collection that finds nothing to free and slows
// every command's start. Packages initialise in the order of their import
// paths among those whose imports are done, so this one, imported by main
// and importing only runtime/debug, runs before the big ones
// (TestInitsFirst checks the order).
package initgc

import "runtime/debug"

// percent is the setting from before initialisation: GOGC's, or 100.
var percent = debug.SetGCPercent(-1)

// Restore puts the collector's setting back.
func Restore() { debug.SetGCPercent(percent) }
