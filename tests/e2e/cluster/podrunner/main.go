// Command podrunner is the kubelet of tenantshift's e2e control plane, where no container runtime
// exists. virtual-kubelet's node library does what a kubelet does towards the API: it registers
// the node, renews its lease and posts its status, syncs the pods bound to it and writes their
// status, and serves the kubelet API (container logs, for `kubectl logs`) over TLS. This program
// is its provider (provider.go), which runs each pod's containers:
//   - a container whose image is the project's own (repository basename, default "tenantshift")
//     runs the locally built binary with the container's command, args and environment, with the
//     pod's volumes bind-mounted at their mount paths in a private mount namespace, and is
//     reported Running, then Terminated with its exit code and termination message;
//   - any other container is reported Running and Ready without running anything.
//
// Everything it needs to resume is kept under --state-dir: a container attempt is recorded before
// its process starts, and its exit code is written by the wrapper that runs it, so a restarted
// podrunner adopts processes still running and never starts an attempt twice.
//
// Usage:
//
//	podrunner run --kubeconfig K --state-dir D --binary PATH --listen 127.0.0.1:PORT
//	              --tls-cert F --tls-key F --client-ca F [--node NAME] [--image tenantshift]
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

	vklog "github.com/virtual-kubelet/virtual-kubelet/log"
	"github.com/virtual-kubelet/virtual-kubelet/log/klogv2"
	"k8s.io/client-go/kubernetes"
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
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the node's credential (system:node:NAME)")
	stateDir := fs.String("state-dir", "", "directory for pod state, logs and volumes (kept across restarts)")
	binary := fs.String("binary", os.Getenv("TENANTSHIFT_BINARY"), "the locally built binary run for the project's image")
	image := fs.String("image", "tenantshift", "repository basename of the project's image")
	cfg := kubeletConfig{}
	fs.StringVar(&cfg.node, "node", "e2e-node", "name of the Node to register")
	fs.StringVar(&cfg.listen, "listen", "", "host:port of the kubelet API (the node's InternalIP is 127.0.0.1)")
	fs.StringVar(&cfg.tlsCert, "tls-cert", "", "serving certificate of the kubelet API (SAN IP:127.0.0.1)")
	fs.StringVar(&cfg.tlsKey, "tls-key", "", "key of --tls-cert")
	fs.StringVar(&cfg.clientCA, "client-ca", "", "CA of the client certificates the kubelet API accepts")
	fs.IntVar(&cfg.workers, "workers", 4, "pods synced at once")
	klog.InitFlags(fs)
	_ = fs.Parse(args)
	if *stateDir == "" || *binary == "" || cfg.listen == "" || cfg.tlsCert == "" || cfg.tlsKey == "" || cfg.clientCA == "" {
		fmt.Fprintln(os.Stderr, "podrunner run: --state-dir, --binary (or TENANTSHIFT_BINARY), --listen, --tls-cert, --tls-key and --client-ca are required")
		return 2
	}
	// virtual-kubelet logs through klog too.
	vklog.L = klogv2.New(nil)
	restCfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.ErrorS(err, "loading kubeconfig", "kubeconfig", *kubeconfig)
		return 1
	}
	restCfg.QPS, restCfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		klog.ErrorS(err, "creating the API client")
		return 1
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	p, err := newProvider(client, restCfg.Host, *stateDir, *binary, cfg.node, *image)
	if err != nil {
		klog.ErrorS(err, "starting")
		return 1
	}
	if err := runKubelet(ctx, client, p, cfg); err != nil {
		klog.ErrorS(err, "podrunner stopped")
		return 1
	}
	// Processes are left running on purpose: a restarted podrunner adopts them.
	return 0
}
