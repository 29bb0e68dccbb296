//go:build !unix

package main

import "os"

// readFile reads a whole file.
func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
