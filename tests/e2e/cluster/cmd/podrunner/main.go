// Command podrunner stands in for the kubelet in tenantshift's e2e control plane, where no container
// runtime exists. It registers one Node and, for each pod bound to it:
//   - if a container's image is the project's own (repository basename, default "tenantshift"),
//     runs the locally built binary with the container's command, args and environment, with the
//     pod's volumes bind-mounted at their mount paths in a private mount namespace, and reports
//     the container's state through the API like a kubelet: Running, then Terminated with its exit
//     code and termination message;
//   - any other container is reported Running and Ready without running anything.
//
// Everything it needs to resume is kept under --state-dir: a container attempt is recorded before
// its process starts, and its exit code is written by the wrapper that runs it, so a restarted
// podrunner adopts processes still running and never starts an attempt twice.
//
// Usage:
//
//	podrunner run --kubeconfig K --state-dir D --binary PATH [--node NAME] [--image tenantshift]
//	podrunner freeports N    prints N free loopback TCP ports, one a line
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: podrunner run|freeports ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "freeports":
		os.Exit(freePorts(os.Args[2:]))
	case "run":
		os.Exit(run(os.Args[2:]))
	default:
		fmt.Fprintf(os.Stderr, "podrunner: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}

func freePorts(args []string) int {
	n := 1
	if len(args) > 0 {
		if _, err := fmt.Sscan(args[0], &n); err != nil {
			fmt.Fprintln(os.Stderr, "podrunner freeports: N must be a number")
			return 2
		}
	}
	// Hold all listeners open at once so the ports are distinct.
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, "podrunner freeports:", err)
			return 1
		}
		ls = append(ls, l)
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
	}
	return 0
}

func run(args []string) int {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of a credential allowed to manage nodes and pods")
	stateDir := fs.String("state-dir", "", "directory for pod state, logs and volumes (kept across restarts)")
	binary := fs.String("binary", os.Getenv("TENANTSHIFT_BINARY"), "the locally built binary run for the project's image")
	node := fs.String("node", "e2e-node", "name of the Node to register")
	image := fs.String("image", "tenantshift", "repository basename of the project's image")
	klog.InitFlags(fs)
	_ = fs.Parse(args)
	if *stateDir == "" || *binary == "" {
		fmt.Fprintln(os.Stderr, "podrunner run: --state-dir and --binary (or TENANTSHIFT_BINARY) are required")
		return 2
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.ErrorS(err, "loading kubeconfig")
		return 1
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	r, err := newRunner(cfg, *stateDir, *binary, *node, *image)
	if err != nil {
		klog.ErrorS(err, "starting")
		return 1
	}
	if err := r.Run(ctx); err != nil {
		klog.ErrorS(err, "podrunner stopped")
		return 1
	}
	return 0
}
