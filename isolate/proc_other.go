//go:build !unix

package isolate

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/handlergen/handlergen/isolate/internal/wire"
)

// hostFD is 0 here: the host's channel is its standard input and output,
// as there is no way to pass it another descriptor.
const hostFD = 0

type pipePair struct {
	io.Reader
	io.WriteCloser
	r io.Closer
}

func (p pipePair) Close() error {
	p.r.Close()
	return p.WriteCloser.Close()
}

// hostChannel connects cmd's standard input and output to the client;
// the caller closes the host's ends it returns once cmd started.
func hostChannel(cmd *exec.Cmd) (io.ReadWriteCloser, []*os.File, error) {
	toHost, hostIn, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	fromHost, hostOut, err := os.Pipe()
	if err != nil {
		toHost.Close()
		hostIn.Close()
		return nil, nil, err
	}
	cmd.Stdin, cmd.Stdout = toHost, hostOut
	cmd.Env = append(cmd.Env, hostEnv+"="+hostMarker+strconv.Itoa(hostFD))
	return pipePair{Reader: fromHost, WriteCloser: hostIn, r: fromHost}, []*os.File{toHost, hostOut}, nil
}

// openHostChannel is the host's standard input and output; its standard
// output is its standard error from now on.
func openHostChannel(fd int) (io.ReadWriteCloser, error) {
	if fd != 0 {
		return nil, errors.New("no host channel")
	}
	in, out := os.Stdin, os.Stdout
	os.Stdout = os.Stderr
	null, _ := os.Open(os.DevNull)
	os.Stdin = null
	return pipePair{Reader: in, WriteCloser: out, r: in}, nil
}

func isSocket(int) bool { return true }

func ownGroup(*exec.Cmd) {}

func killGroup(p *os.Process) { p.Kill() }

func executable() (string, error) { return os.Executable() }

func applyLimits(wire.Hello) error { return nil }
