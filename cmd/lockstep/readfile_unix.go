//go:build unix

package main

import (
	"os"
	"sync"
	"syscall"
)

// readBufs are the buffers readFile reads into before copying the text out.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// readFile reads a whole file with plain system calls: open, read until
// end of file, close. os.ReadFile also registers the descriptor with the
// runtime's poller and sets its flags, five more calls per file, which is
// most of the cost of reading a history of thousands of small files
// (bench/lint.sh). Errors are *os.PathError, as os.ReadFile's.
func readFile(path string) (string, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return "", &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := (*bp)[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return "", &os.PathError{Op: "read", Path: path, Err: err}
		case n == 0:
			*bp = buf
			return string(buf), nil
		}
		buf = buf[:len(buf)+n]
	}
}
