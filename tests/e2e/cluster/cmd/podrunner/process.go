package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

const (
	syscallTerm = syscall.SIGTERM
	syscallKill = syscall.SIGKILL
	lostMessage = "The container could not be located when the pod was terminated"
)

// proc is a wrapper process started by this runner (reaped by Wait) or adopted from an earlier one
// (watched through /proc).
type proc struct {
	pid int
	own bool // started by this runner, reaped by its Wait
}

// attempt is one run of one container, as recorded under <pod dir>/c/<kind>-<name>-<n>.*:
//
//	.started  written (O_EXCL) before the process starts: the attempt can never start twice
//	.sh       the wrapper script; .pid its pid; .log stdout and stderr; .term the termination log
//	.exit     "<code>" written by the wrapper when the command ends, or "137 lost" by the runner
type attempt struct {
	prefix   string
	attempt  int
	started  time.Time
	exited   bool
	lost     bool
	exitCode int
	finished time.Time
}

func (a *attempt) containerID() string {
	return "podrunner://" + filepath.Base(filepath.Dir(filepath.Dir(a.prefix))) + "-" + filepath.Base(a.prefix)
}

func (a *attempt) reason() string {
	switch {
	case a.lost:
		return "ContainerStatusUnknown"
	case a.exitCode == 0:
		return "Completed"
	default:
		return "Error"
	}
}

func (a *attempt) message(c corev1.Container) string {
	if a.lost {
		return lostMessage
	}
	if b, err := os.ReadFile(a.prefix + ".term"); err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(b[:min(len(b), 4096)])
	}
	if c.TerminationMessagePolicy == corev1.TerminationMessageFallbackToLogsOnError && a.exitCode != 0 {
		b, _ := os.ReadFile(a.prefix + ".log")
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		tail := strings.Join(lines[max(0, len(lines)-80):], "\n")
		return tail[max(0, len(tail)-2048):]
	}
	return ""
}

// lastAttempt reads the newest attempt of a container, or nil if it never started.
func (r *runner) lastAttempt(dir, kind, name string) (*attempt, error) {
	n := -1
	for {
		if _, err := os.Stat(attemptPrefix(dir, kind, name, n+1) + ".started"); err != nil {
			break
		}
		n++
	}
	if n < 0 {
		return nil, nil
	}
	a := &attempt{prefix: attemptPrefix(dir, kind, name, n), attempt: n}
	b, err := os.ReadFile(a.prefix + ".started")
	if err != nil {
		return nil, err
	}
	a.started, _ = time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if !readExit(a) {
		if r.alive(a.prefix) {
			return a, nil
		}
		// Neither running nor finished: the wrapper was killed, or the runner died between
		// recording the attempt and starting it. Record it as lost, once.
		if err := writeFileAtomic(a.prefix+".exit", "137 lost\n"); err != nil {
			return nil, err
		}
		readExit(a)
	}
	return a, nil
}

func readExit(a *attempt) bool {
	fi, err := os.Stat(a.prefix + ".exit")
	if err != nil {
		return false
	}
	b, err := os.ReadFile(a.prefix + ".exit")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return false
	}
	a.exited, a.finished = true, fi.ModTime()
	a.exitCode, _ = strconv.Atoi(f[0])
	a.lost = len(f) > 1 && f[1] == "lost"
	return true
}

func attemptPrefix(dir, kind, name string, n int) string {
	return filepath.Join(dir, "c", fmt.Sprintf("%s-%s-%d", kind, name, n))
}

func (r *runner) recordLost(dir, kind, name string, n int) error {
	p := attemptPrefix(dir, kind, name, n)
	if err := writeFileAtomic(p+".started", time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	return writeFileAtomic(p+".exit", "137 lost\n")
}

func writeFileAtomic(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// alive says whether the wrapper recorded in prefix.pid still runs (not a zombie, and still our
// script, so that a reused pid does not count).
func (r *runner) alive(prefix string) bool {
	r.mu.Lock()
	p, tracked := r.procs[prefix]
	r.mu.Unlock()
	if tracked && p.own {
		// Our own child, not reaped yet (its /proc entry is unreliable while it execs).
		return true
	}
	b, err := os.ReadFile(prefix + ".pid")
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(prefix+".sh")) {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.procs[prefix]; !ok {
		// Started by an earlier runner: watch it until it exits, then look at the pod again.
		r.procs[prefix] = &proc{pid: pid}
		go r.watchAdopted(prefix, pid)
	}
	return true
}

func (r *runner) watchAdopted(prefix string, pid int) {
	for {
		time.Sleep(500 * time.Millisecond)
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || bytes.Contains(stat, []byte(") Z ")) {
			break
		}
	}
	r.exited(prefix)
}

func (r *runner) exited(prefix string) {
	r.mu.Lock()
	delete(r.procs, prefix)
	r.mu.Unlock()
	if key, err := os.ReadFile(filepath.Join(filepath.Dir(filepath.Dir(prefix)), "pod")); err == nil {
		r.queue.Add(strings.TrimSpace(string(key)))
	}
}

// killAll signals every wrapper still running under a pod's state directory and returns how many
// were running.
func (r *runner) killAll(dir string, sig syscall.Signal) int {
	pids, _ := filepath.Glob(filepath.Join(dir, "c", "*.pid"))
	alive := 0
	for _, p := range pids {
		prefix := strings.TrimSuffix(p, ".pid")
		if _, err := os.Stat(prefix + ".exit"); err == nil || !r.alive(prefix) {
			continue
		}
		b, _ := os.ReadFile(p)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		alive++
		klog.V(2).InfoS("signalling container", "prefix", prefix, "signal", sig)
		_ = syscall.Kill(-pid, sig) // the wrapper leads its own session and process group
	}
	return alive
}

// reapOrphans kills the processes of pods that no longer exist in the API.
func (r *runner) reapOrphans() error {
	known := map[types.UID]bool{}
	pods, err := r.pods.List(everything)
	if err != nil {
		return err
	}
	for _, p := range pods {
		known[p.UID] = true
	}
	dirs, _ := filepath.Glob(filepath.Join(r.stateDir, "pods", "*"))
	for _, d := range dirs {
		if !known[types.UID(filepath.Base(d))] {
			r.killAll(d, syscallKill)
		}
	}
	return nil
}

type mount struct{ source, target string }

// start runs attempt n of a container: records it, writes its wrapper script and starts it in a
// private mount namespace with the pod's volumes bound at their mount paths.
func (r *runner) start(ctx context.Context, pod *corev1.Pod, dir, kind string, c corev1.Container, n int32, volErr error) error {
	if volErr != nil {
		return volErr
	}
	env, err := r.containerEnv(ctx, pod, c)
	if err != nil {
		return err
	}
	argv := append(append([]string{}, c.Command...), c.Args...)
	if len(c.Command) == 0 {
		argv = append([]string{r.binary}, c.Args...) // the image's entrypoint
	} else if filepath.Base(c.Command[0]) == r.image {
		argv[0] = r.binary
	}
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	for i := range argv {
		argv[i] = expand(argv[i], vars)
	}

	var mounts []mount
	for _, vm := range c.VolumeMounts {
		src, err := r.volumeSource(pod, dir, vm.Name)
		if err != nil {
			return err
		}
		if vm.SubPath != "" {
			src = filepath.Join(src, vm.SubPath)
		}
		mounts = append(mounts, mount{src, vm.MountPath})
	}
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].target) < len(mounts[j].target) })

	prefix := attemptPrefix(dir, kind, c.Name, int(n))
	termPath := c.TerminationMessagePath
	if termPath == "" {
		termPath = corev1.TerminationMessagePathDefault
	}
	if err := os.WriteFile(prefix+".term", nil, 0o666); err != nil {
		return err
	}
	workDir := c.WorkingDir
	if workDir == "" {
		workDir = "/"
	}
	var s strings.Builder
	s.WriteString("# podrunner wrapper: runs in a private mount namespace (unshare --mount)\n")
	s.WriteString("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")
	s.WriteString("fail() { echo \"podrunner: $*\" >" + q(prefix+".term") + "; echo 128 >" + q(prefix+".exit.tmp") +
		"; mv " + q(prefix+".exit.tmp") + " " + q(prefix+".exit") + "; exit 128; }\n")
	for _, m := range mounts {
		fmt.Fprintf(&s, "if [ -d %[1]s ]; then mkdir -p %[2]s; else mkdir -p \"$(dirname %[2]s)\"; [ -e %[2]s ] || : >%[2]s; fi || fail 'cannot create mount point %[3]s'\n",
			q(m.source), q(m.target), m.target)
		fmt.Fprintf(&s, "mount --bind %s %s || fail 'cannot mount %s'\n", q(m.source), q(m.target), m.target)
	}
	fmt.Fprintf(&s, "mkdir -p \"$(dirname %[1]s)\" && { [ -e %[1]s ] || : >%[1]s; } && mount --bind %[2]s %[1]s || fail 'cannot mount termination log'\n",
		q(termPath), q(prefix+".term"))
	fmt.Fprintf(&s, "cd %s || fail 'cannot enter working directory %s'\n", q(workDir), workDir)
	s.WriteString("PATH=$__podrunner_path; unset __podrunner_path\n")
	s.WriteString("\"$@\" </dev/null\n")
	fmt.Fprintf(&s, "echo $? >%s && mv %s %s\n", q(prefix+".exit.tmp"), q(prefix+".exit.tmp"), q(prefix+".exit"))
	if err := os.WriteFile(prefix+".sh", []byte(s.String()), 0o644); err != nil {
		return err
	}

	// Record the attempt before starting it: from here on it is never started again.
	f, err := os.OpenFile(prefix+".started", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("container %s attempt %d: %w", c.Name, n, err)
	}
	_, _ = f.WriteString(time.Now().UTC().Format(time.RFC3339Nano))
	if err := f.Close(); err != nil {
		return err
	}
	log, err := os.OpenFile(prefix+".log", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	path := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	if v, ok := vars["PATH"]; ok {
		path = v
	}
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "--", "/bin/sh", prefix + ".sh"}, argv...)...)
	cmd.Env = append(env, "__podrunner_path="+path)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		_ = writeFileAtomic(prefix+".exit", "128\n")
		_ = os.WriteFile(prefix+".term", []byte("podrunner: "+err.Error()), 0o644)
		return nil
	}
	if err := writeFileAtomic(prefix+".pid", strconv.Itoa(cmd.Process.Pid)); err != nil {
		return err
	}
	r.mu.Lock()
	r.procs[prefix] = &proc{pid: cmd.Process.Pid, own: true}
	r.mu.Unlock()
	klog.InfoS("started container", "pod", klog.KObj(pod), "container", c.Name, "attempt", n, "argv", argv)
	go func() {
		_ = cmd.Wait()
		r.exited(prefix)
	}()
	return nil
}

// q quotes s for the POSIX shell.
func q(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// expand replaces $(VAR) with the variable's value as the kubelet does; $$(VAR) stays literal.
func expand(s string, vars map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) {
			switch s[i+1] {
			case '$':
				b.WriteByte('$')
				i++
				continue
			case '(':
				if j := strings.IndexByte(s[i+2:], ')'); j >= 0 {
					name := s[i+2 : i+2+j]
					if v, ok := vars[name]; ok {
						b.WriteString(v)
						i += j + 2
						continue
					}
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
