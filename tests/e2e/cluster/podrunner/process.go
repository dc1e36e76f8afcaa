package main

import (
	"bytes"
	"context"
	"errors"
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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// lostMessage is the kubelet's message for a container it can no longer find.
const lostMessage = "The container could not be located when the pod was terminated"

// proc is a wrapper process started by this podrunner (reaped by Wait) or adopted from an earlier
// one (watched through /proc).
type proc struct {
	pid int
	own bool // started by this podrunner, reaped by its Wait
}

// attempt is one run of one container, as recorded under <pod dir>/c/<kind>-<name>-<n>.*:
//
//	.started  written (O_EXCL) before the process starts: the attempt can never start twice
//	.sh       the wrapper script; .pid its pid; .log stdout and stderr; .term the termination log
//	.exit     "<code>" written by the wrapper when the command ends, or "137 lost" by the podrunner
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

// terminated is the container state of an attempt that exited.
func (a *attempt) terminated(c corev1.Container) *corev1.ContainerStateTerminated {
	return &corev1.ContainerStateTerminated{
		ExitCode: int32(a.exitCode), Reason: a.reason(), Message: a.message(c),
		StartedAt: metav1.NewTime(a.started), FinishedAt: metav1.NewTime(a.finished),
		ContainerID: a.containerID(),
	}
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

// readAttempt reads attempt n of a container as recorded, or nil if it never started. It only
// reads: an attempt whose process is gone without an exit code still reads as not exited.
func readAttempt(dir, kind, name string, n int) (*attempt, error) {
	a := &attempt{prefix: attemptPrefix(dir, kind, name, n), attempt: n}
	b, err := os.ReadFile(a.prefix + ".started")
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	a.started, _ = time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	readExit(a)
	return a, nil
}

// newestAttempt is the number of the container's newest attempt, or -1 if it never started.
func newestAttempt(dir, kind, name string) int {
	n := -1
	for {
		if _, err := os.Stat(attemptPrefix(dir, kind, name, n+1) + ".started"); err != nil {
			return n
		}
		n++
	}
}

// lastAttempt reads the newest attempt of a container, or nil if it never started. An attempt
// neither running nor finished (the wrapper was killed, or the podrunner died between recording
// the attempt and starting it) is recorded as lost, once; a running one started by an earlier
// podrunner is adopted.
func (p *provider) lastAttempt(dir, kind, name string) (*attempt, error) {
	n := newestAttempt(dir, kind, name)
	if n < 0 {
		return nil, nil
	}
	a, err := readAttempt(dir, kind, name, n)
	if a == nil || err != nil || a.exited || p.alive(a.prefix) {
		return a, err
	}
	if err := writeFileAtomic(a.prefix+".exit", "137 lost\n"); err != nil {
		return nil, err
	}
	readExit(a)
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

func recordLost(dir, kind, name string, n int) error {
	prefix := attemptPrefix(dir, kind, name, n)
	if err := writeFileAtomic(prefix+".started", time.Now().UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	return writeFileAtomic(prefix+".exit", "137 lost\n")
}

func writeFileAtomic(path, content string) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// wrapperPid is the pid of the attempt's wrapper if it still runs (not a zombie, and still our
// script, so that a reused pid does not count), else 0. It only reads /proc.
func wrapperPid(prefix string) int {
	b, err := os.ReadFile(prefix + ".pid")
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' {
		return 0
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.Contains(cmdline, []byte(prefix+".sh")) {
		return 0
	}
	return pid
}

// alive says whether the attempt's wrapper still runs. One started by an earlier podrunner is
// adopted: watched until it exits, when its pod is looked at again.
func (p *provider) alive(prefix string) bool {
	p.procMu.Lock()
	pr, tracked := p.procs[prefix]
	p.procMu.Unlock()
	if tracked && pr.own {
		// Our own child, not reaped yet (its /proc entry is unreliable while it execs).
		return true
	}
	pid := wrapperPid(prefix)
	if pid == 0 {
		return false
	}
	p.procMu.Lock()
	defer p.procMu.Unlock()
	if _, ok := p.procs[prefix]; !ok {
		p.procs[prefix] = &proc{pid: pid}
		go p.watchAdopted(prefix, pid)
	}
	return true
}

func (p *provider) watchAdopted(prefix string, pid int) {
	for {
		time.Sleep(500 * time.Millisecond)
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || bytes.Contains(stat, []byte(") Z ")) {
			break
		}
	}
	p.exited(prefix)
}

// exited forgets a wrapper that ended and looks at its pod again.
func (p *provider) exited(prefix string) {
	p.procMu.Lock()
	delete(p.procs, prefix)
	p.procMu.Unlock()
	if key, ok := p.keyOfDir(filepath.Dir(filepath.Dir(prefix))); ok {
		p.queue.Add(key)
	}
}

// killAll sends sig to every wrapper still running under a pod's state directory (signal 0 sends
// nothing) and returns how many were running.
func (p *provider) killAll(dir string, sig syscall.Signal) int {
	pidFiles, _ := filepath.Glob(filepath.Join(dir, "c", "*.pid"))
	alive := 0
	for _, f := range pidFiles {
		prefix := strings.TrimSuffix(f, ".pid")
		if _, err := os.Stat(prefix + ".exit"); err == nil || !p.alive(prefix) {
			continue
		}
		b, _ := os.ReadFile(f)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		alive++
		if sig != 0 {
			klog.V(2).InfoS("signalling container", "prefix", prefix, "signal", sig)
			_ = syscall.Kill(-pid, sig) // the wrapper leads its own session and process group
		}
	}
	return alive
}

type mount struct{ source, target string }

// start runs attempt n of a container: records it, writes its wrapper script and starts it in a
// private mount namespace with the pod's volumes bound at their mount paths.
func (p *provider) start(ctx context.Context, pod *corev1.Pod, dir, kind string, c corev1.Container, n int32, volErr error) error {
	if volErr != nil {
		return volErr
	}
	env, err := p.containerEnv(ctx, pod, c)
	if err != nil {
		return err
	}
	argv := append(append([]string{}, c.Command...), c.Args...)
	if len(c.Command) == 0 {
		argv = append([]string{p.binary}, c.Args...) // the image's entrypoint
	} else if filepath.Base(c.Command[0]) == p.image {
		argv[0] = p.binary
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
		src, err := p.volumeSource(pod, dir, vm.Name)
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
	// SIGTERM and SIGINT go to the whole process group: the command decides what to do with them,
	// and this shell, with a trap that does nothing, waits for it and records its exit code.
	s.WriteString("trap : TERM INT\n")
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
	p.procMu.Lock()
	p.procs[prefix] = &proc{pid: cmd.Process.Pid, own: true}
	p.procMu.Unlock()
	klog.InfoS("started container", "pod", klog.KObj(pod), "container", c.Name, "attempt", n, "argv", argv)
	go func() {
		_ = cmd.Wait()
		p.exited(prefix)
	}()
	return nil
}

// q quotes s for the POSIX shell.
func q(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
