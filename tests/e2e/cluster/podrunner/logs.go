package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	corev1 "k8s.io/api/core/v1"
)

// followPoll is how often a followed log is read again once it reached its end.
const followPoll = 200 * time.Millisecond

// GetContainerLogs serves `kubectl logs` (virtual-kubelet's kubelet API calls it for
// /containerLogs): the output (stdout and stderr, as written) of the container's newest attempt,
// or of the one before with --previous; --tail and --limit-bytes apply, and --follow reads on until
// the attempt ends or the client goes away.
func (p *provider) GetContainerLogs(ctx context.Context, namespace, podName, containerName string, opts api.ContainerLogOpts) (io.ReadCloser, error) {
	if opts.Timestamps || opts.SinceSeconds > 0 || !opts.SinceTime.IsZero() {
		return nil, errdefs.InvalidInput("the podrunner keeps container output as written, without a time per line: " +
			"--timestamps, --since and --since-time are not available; use --tail or --limit-bytes")
	}
	e := p.entry(podKey(namespace, podName))
	if e == nil {
		return nil, errdefs.NotFoundf("pod %q in namespace %q is not on node %s", podName, namespace, p.node)
	}
	kind, c, ok := findContainer(e.pod, containerName)
	if !ok {
		return nil, errdefs.InvalidInputf("container %q is not a container of pod %q", containerName, podName)
	}
	if !p.isOwnImage(c.Image) {
		// Nothing runs for a container of another image, so it has no output.
		return io.NopCloser(strings.NewReader("")), nil
	}
	n := newestAttempt(e.dir, kind, c.Name)
	if n < 0 {
		return nil, errdefs.InvalidInputf("container %q in pod %q is waiting to start", c.Name, podName)
	}
	if opts.Previous {
		if n == 0 {
			return nil, errdefs.InvalidInputf("previous terminated container %q in pod %q not found", c.Name, podName)
		}
		n--
	}
	a, err := readAttempt(e.dir, kind, c.Name, n)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(a.prefix + ".log")
	if err != nil {
		return nil, err
	}
	if opts.Tail > 0 {
		if err := seekToLastLines(f, opts.Tail); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	var r io.Reader = f
	if opts.Follow {
		r = &followReader{ctx: ctx, f: f, prefix: a.prefix}
	}
	if opts.LimitBytes > 0 {
		r = io.LimitReader(r, int64(opts.LimitBytes))
	}
	return struct {
		io.Reader
		io.Closer
	}{r, f}, nil
}

// findContainer finds a container of the pod by name, and says whether it is an init container.
func findContainer(pod *corev1.Pod, name string) (kind string, c corev1.Container, ok bool) {
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return "init", c, true
		}
	}
	for _, c := range pod.Spec.Containers {
		if c.Name == name {
			return "main", c, true
		}
	}
	return "", corev1.Container{}, false
}

// seekToLastLines positions f at the start of its last n lines (a last line without its newline
// counts).
func seekToLastLines(f *os.File, n int) error {
	starts := make([]int64, 0, n+1) // offsets where the last lines start, oldest first
	var off int64
	starts = append(starts, 0)
	br := bufio.NewReader(f)
	for {
		line, err := br.ReadSlice('\n')
		off += int64(len(line))
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil {
			break
		}
		starts = append(starts, off)
		if len(starts) > n+1 {
			starts = starts[1:]
		}
	}
	// The last entry is the end of the file when it ends with a newline: no line starts there.
	if starts[len(starts)-1] == off && len(starts) > 1 {
		starts = starts[:len(starts)-1]
	}
	if len(starts) > n {
		starts = starts[len(starts)-n:]
	}
	_, err := f.Seek(starts[0], io.SeekStart)
	return err
}

// followReader reads a log file that its attempt may still be writing: at the end of the file it
// waits for more until the attempt has ended (its exit code is recorded, or its wrapper is gone)
// or ctx is done.
type followReader struct {
	ctx    context.Context
	f      *os.File
	prefix string
}

func (r *followReader) Read(b []byte) (int, error) {
	for {
		n, err := r.f.Read(b)
		if n > 0 || !errors.Is(err, io.EOF) {
			return n, err
		}
		if r.ended() {
			// What the attempt wrote between the last read and its end.
			return r.f.Read(b)
		}
		select {
		case <-r.ctx.Done():
			return 0, io.EOF
		case <-time.After(followPoll):
		}
	}
}

func (r *followReader) ended() bool {
	if _, err := os.Stat(r.prefix + ".exit"); err == nil {
		return true
	}
	if _, err := os.Stat(r.prefix + ".pid"); err != nil {
		return false // recorded, and its wrapper about to start
	}
	return wrapperPid(r.prefix) == 0
}
