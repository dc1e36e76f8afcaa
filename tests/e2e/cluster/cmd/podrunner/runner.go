package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

type runner struct {
	client   kubernetes.Interface
	stateDir string
	binary   string
	node     string
	image    string
	apiHost  string
	apiPort  string

	queue workqueue.TypedRateLimitingInterface[string]
	pods  corelisters.PodLister

	mu sync.Mutex // guards procs
	// procs holds the wrapper processes this runner or an earlier one started, by pid file path.
	procs map[string]*proc
}

func newRunner(cfg *rest.Config, stateDir, binary, node, image string) (*runner, error) {
	cfg.QPS, cfg.Burst = 50, 100
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	bin, err := filepath.Abs(binary)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(stateDir, "pods"), 0o755); err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, fmt.Errorf("API server address %q: %w", cfg.Host, err)
	}
	return &runner{
		client: client, stateDir: stateDir, binary: bin, node: node, image: image,
		apiHost: u.Hostname(), apiPort: u.Port(),
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](
			50*time.Millisecond, 10*time.Second)),
		procs: map[string]*proc{},
	}, nil
}

func (r *runner) Run(ctx context.Context) error {
	if err := r.registerNode(ctx); err != nil {
		return fmt.Errorf("registering node %s: %w", r.node, err)
	}
	go wait.UntilWithContext(ctx, r.heartbeat, 10*time.Second)

	factory := informers.NewSharedInformerFactoryWithOptions(r.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", r.node).String()
		}))
	inf := factory.Core().V1().Pods()
	r.pods = inf.Lister()
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			r.queue.Add(key)
		}
	}
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: enqueue, UpdateFunc: func(_, o any) { enqueue(o) }, DeleteFunc: enqueue,
	}); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.Informer().HasSynced) {
		return ctx.Err()
	}
	klog.InfoS("podrunner ready", "node", r.node, "binary", r.binary, "image", r.image)
	for i := 0; i < 4; i++ {
		go wait.UntilWithContext(ctx, r.worker, time.Second)
	}
	<-ctx.Done()
	r.queue.ShutDown()
	// Processes are left running on purpose: a restarted podrunner adopts them.
	return nil
}

func (r *runner) worker(ctx context.Context) {
	for {
		key, quit := r.queue.Get()
		if quit {
			return
		}
		requeue, err := r.sync(ctx, key)
		switch {
		case err != nil:
			klog.ErrorS(err, "syncing pod", "pod", key)
			r.queue.AddRateLimited(key)
		case requeue > 0:
			r.queue.Forget(key)
			r.queue.AddAfter(key, requeue)
		default:
			r.queue.Forget(key)
		}
		r.queue.Done(key)
	}
}

func nodeResources() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("32"),
		corev1.ResourceMemory:           resource.MustParse("64Gi"),
		corev1.ResourcePods:             resource.MustParse("250"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
}

func (r *runner) nodeStatus(now metav1.Time, old *corev1.NodeStatus) corev1.NodeStatus {
	cond := func(t corev1.NodeConditionType, s corev1.ConditionStatus, reason, msg string) corev1.NodeCondition {
		c := corev1.NodeCondition{Type: t, Status: s, Reason: reason, Message: msg,
			LastHeartbeatTime: now, LastTransitionTime: now}
		if old != nil {
			for _, o := range old.Conditions {
				if o.Type == t && o.Status == s {
					c.LastTransitionTime = o.LastTransitionTime
				}
			}
		}
		return c
	}
	return corev1.NodeStatus{
		Capacity:    nodeResources(),
		Allocatable: nodeResources(),
		Conditions: []corev1.NodeCondition{
			cond(corev1.NodeReady, corev1.ConditionTrue, "KubeletReady", "podrunner is posting ready status"),
			cond(corev1.NodeMemoryPressure, corev1.ConditionFalse, "KubeletHasSufficientMemory", ""),
			cond(corev1.NodeDiskPressure, corev1.ConditionFalse, "KubeletHasNoDiskPressure", ""),
			cond(corev1.NodePIDPressure, corev1.ConditionFalse, "KubeletHasSufficientPID", ""),
		},
		Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: "127.0.0.1"},
			{Type: corev1.NodeHostName, Address: r.node},
		},
		NodeInfo: corev1.NodeSystemInfo{
			OperatingSystem: "linux", Architecture: "amd64", KubeletVersion: "podrunner",
			ContainerRuntimeVersion: "podrunner://0",
		},
	}
}

func (r *runner) registerNode(ctx context.Context) error {
	nodes := r.client.CoreV1().Nodes()
	return wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		n, err := nodes.Get(ctx, r.node, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			n = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: r.node, Labels: map[string]string{
				"kubernetes.io/hostname": r.node, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
			}}}
			n, err = nodes.Create(ctx, n, metav1.CreateOptions{})
		}
		if err != nil {
			klog.ErrorS(err, "registering node; retrying")
			return false, nil
		}
		n.Status = r.nodeStatus(metav1.Now(), &n.Status)
		if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			klog.ErrorS(err, "posting node status; retrying")
			return false, nil
		}
		return true, nil
	})
}

// heartbeat renews the node's Lease and posts its status, so the node lifecycle controller keeps
// it Ready and untainted.
func (r *runner) heartbeat(ctx context.Context) {
	now := metav1.NowMicro()
	leases := r.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	l, err := leases.Get(ctx, r.node, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		l = &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: r.node, Namespace: corev1.NamespaceNodeLease},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr.To(r.node), LeaseDurationSeconds: ptr.To[int32](40), RenewTime: &now}}
		if n, err := r.client.CoreV1().Nodes().Get(ctx, r.node, metav1.GetOptions{}); err == nil {
			l.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: n.Name, UID: n.UID}}
		}
		_, err = leases.Create(ctx, l, metav1.CreateOptions{})
		if err != nil {
			klog.ErrorS(err, "creating node lease")
		}
	case err == nil:
		l.Spec.RenewTime = &now
		if _, err := leases.Update(ctx, l, metav1.UpdateOptions{}); err != nil {
			klog.ErrorS(err, "renewing node lease")
		}
	default:
		klog.ErrorS(err, "reading node lease")
	}
	n, err := r.client.CoreV1().Nodes().Get(ctx, r.node, metav1.GetOptions{})
	if err != nil {
		klog.ErrorS(err, "reading node")
		if apierrors.IsNotFound(err) {
			_ = r.registerNode(ctx)
		}
		return
	}
	n.Status = r.nodeStatus(metav1.Now(), &n.Status)
	if _, err := r.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		klog.ErrorS(err, "posting node status")
	}
}

// isOwnImage says whether image names the project's own image: its repository's last path
// element, without tag or digest, equals r.image ("ghcr.io/x/tenantshift:1.0" -> "tenantshift").
func (r *runner) isOwnImage(image string) bool {
	repo := image
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		repo = repo[i+1:]
	}
	if i := strings.Index(repo, ":"); i >= 0 {
		repo = repo[:i]
	}
	return repo == r.image
}
