package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// provider is the virtual-kubelet provider (node.PodLifecycleHandler and node.PodNotifier) that
// runs the containers of the pods bound to this node as local processes. virtual-kubelet's pod
// controller hands it the pods (CreatePod, UpdatePod, DeletePod); its own work queue brings each
// pod a step closer to its spec (pod.go) and reports every change of status through NotifyPods,
// which the pod controller writes to the API.
//
// What it needs to resume lives under stateDir/pods/<uid>: pod.json (the pod as handed over), the
// per-attempt records of process.go, and "deleted" once the pod is gone. A restarted podrunner
// restores its pods from there (see restore) and adopts the processes still running.
type provider struct {
	client   kubernetes.Interface
	stateDir string
	binary   string
	node     string
	image    string
	apiHost  string
	apiPort  string

	queue workqueue.TypedRateLimitingInterface[string] // keys: namespace/name

	mu     sync.Mutex // guards pods and notify
	pods   map[string]*podEntry
	notify func(*corev1.Pod)

	procMu sync.Mutex // guards procs
	// procs holds the wrapper processes this podrunner or an earlier one started, by attempt prefix.
	procs map[string]*proc
}

// podEntry is one pod the provider knows: pod is the pod as last handed over by the pod
// controller, with the status this provider last reported.
type podEntry struct {
	pod *corev1.Pod
	dir string
	// confirmed is false for a pod restored from the state directory until the pod controller
	// hands it over again (CreatePod): until then GetPod does not return it, nothing is started for
	// it and nothing is reported, so that a pod deleted, or replaced by one of the same name, while
	// the podrunner was down is never run on the strength of old records.
	confirmed bool
	// deleting is set by DeletePod: the processes get SIGTERM, then SIGKILL at deadline.
	deleting bool
	deadline time.Time
	termSent bool
}

func newProvider(client kubernetes.Interface, apiServer, stateDir, binary, node, image string) (*provider, error) {
	bin, err := filepath.Abs(binary)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(stateDir, "pods"), 0o755); err != nil {
		return nil, err
	}
	u, err := url.Parse(apiServer)
	if err != nil {
		return nil, fmt.Errorf("API server address %q: %w", apiServer, err)
	}
	p := &provider{
		client: client, stateDir: stateDir, binary: bin, node: node, image: image,
		apiHost: u.Hostname(), apiPort: u.Port(),
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.NewTypedItemExponentialFailureRateLimiter[string](
			50*time.Millisecond, 10*time.Second)),
		pods:  map[string]*podEntry{},
		procs: map[string]*proc{},
	}
	if err := p.restore(); err != nil {
		return nil, fmt.Errorf("restoring pods from %s: %w", stateDir, err)
	}
	return p, nil
}

func podKey(namespace, name string) string { return namespace + "/" + name }

func (p *provider) podDir(uid types.UID) string {
	return filepath.Join(p.stateDir, "pods", string(uid))
}

// restore loads the pods of the state directory that were not deleted, unconfirmed. The pod
// controller then deletes those that no longer exist (it lists GetPods at start) and hands over
// again those that do.
func (p *provider) restore() error {
	files, err := filepath.Glob(filepath.Join(p.stateDir, "pods", "*", "pod.json"))
	if err != nil {
		return err
	}
	for _, f := range files {
		dir := filepath.Dir(f)
		if _, err := os.Stat(filepath.Join(dir, "deleted")); err == nil {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		pod := &corev1.Pod{}
		if err := json.Unmarshal(b, pod); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		key := podKey(pod.Namespace, pod.Name)
		if old, ok := p.pods[key]; ok && old.pod.CreationTimestamp.After(pod.CreationTimestamp.Time) {
			continue // an older pod of the same name, replaced before it was marked deleted
		}
		p.pods[key] = &podEntry{pod: pod, dir: dir}
		klog.InfoS("restored pod from state directory", "pod", key, "uid", pod.UID)
	}
	return nil
}

// savePod records the pod as handed over, so that a restarted podrunner knows it (restore).
func savePod(dir string, pod *corev1.Pod) error {
	p := pod.DeepCopy()
	p.Status = corev1.PodStatus{}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "pod.json"), string(b))
}

// CreatePod takes over a pod bound to this node: a new one, or one this podrunner ran before it
// restarted (its records are found by UID and its processes adopted).
func (p *provider) CreatePod(_ context.Context, pod *corev1.Pod) error {
	key := podKey(pod.Namespace, pod.Name)
	dir := p.podDir(pod.UID)
	if err := os.MkdirAll(filepath.Join(dir, "c"), 0o755); err != nil {
		return err
	}
	if err := savePod(dir, pod); err != nil {
		return err
	}
	p.mu.Lock()
	var replaced string
	if old, ok := p.pods[key]; ok && old.pod.UID != pod.UID {
		replaced = old.dir
	}
	p.pods[key] = &podEntry{pod: pod.DeepCopy(), dir: dir, confirmed: true}
	p.mu.Unlock()
	if replaced != "" {
		// A pod of the same name that is gone from the API (the pod controller only hands over
		// a new one once the old one was removed): nothing of it may keep running.
		p.killAll(replaced, syscall.SIGKILL)
		markDeleted(replaced)
	}
	klog.InfoS("pod handed over", "pod", key, "uid", pod.UID)
	p.queue.Add(key)
	return nil
}

// UpdatePod takes a change to the pod's metadata or spec (labels, annotations, images, ...). A
// running container is not restarted for it, as the kubelet does not for what it cannot apply.
func (p *provider) UpdatePod(ctx context.Context, pod *corev1.Pod) error {
	key := podKey(pod.Namespace, pod.Name)
	p.mu.Lock()
	e, ok := p.pods[key]
	if !ok || e.pod.UID != pod.UID {
		p.mu.Unlock()
		return p.CreatePod(ctx, pod)
	}
	np := pod.DeepCopy()
	np.Status = e.pod.Status
	e.pod = np
	p.mu.Unlock()
	if err := savePod(e.dir, pod); err != nil {
		return err
	}
	p.queue.Add(key)
	return nil
}

// DeletePod stops the pod's processes: SIGTERM now, SIGKILL once the grace period the API set
// (deletionTimestamp) is over; at once for a pod that is gone from the API. The pod controller
// removes the pod from the API; the provider reports its final status and forgets it.
func (p *provider) DeletePod(_ context.Context, pod *corev1.Pod) error {
	key := podKey(pod.Namespace, pod.Name)
	deadline := time.Now()
	if pod.DeletionTimestamp != nil && pod.DeletionTimestamp.After(deadline) {
		deadline = pod.DeletionTimestamp.Time
	}
	p.mu.Lock()
	e, ok := p.pods[key]
	if !ok || e.pod.UID != pod.UID {
		p.mu.Unlock()
		return errdefs.NotFoundf("pod %s (uid %s) is not on node %s", key, pod.UID, p.node)
	}
	if !e.deleting || deadline.Before(e.deadline) {
		e.deadline = deadline
	}
	e.deleting = true
	p.mu.Unlock()
	klog.InfoS("deleting pod", "pod", key, "uid", pod.UID, "killAt", deadline.Format(time.RFC3339))
	p.queue.Add(key)
	return nil
}

// GetPod returns the pod as this provider runs it, or NotFound (also for a restored pod not yet
// handed over again, so that the pod controller hands it over).
func (p *provider) GetPod(_ context.Context, namespace, name string) (*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.pods[podKey(namespace, name)]
	if !ok || !e.confirmed {
		return nil, errdefs.NotFoundf("pod %s is not on node %s", podKey(namespace, name), p.node)
	}
	return e.pod.DeepCopy(), nil
}

func (p *provider) GetPodStatus(ctx context.Context, namespace, name string) (*corev1.PodStatus, error) {
	pod, err := p.GetPod(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return &pod.Status, nil
}

// GetPods returns every pod this provider knows, restored ones included: the pod controller
// deletes those that are no longer in the API when it starts.
func (p *provider) GetPods(context.Context) ([]*corev1.Pod, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pods := make([]*corev1.Pod, 0, len(p.pods))
	for _, e := range p.pods {
		pods = append(pods, e.pod.DeepCopy())
	}
	sort.Slice(pods, func(i, j int) bool {
		return podKey(pods[i].Namespace, pods[i].Name) < podKey(pods[j].Namespace, pods[j].Name)
	})
	return pods, nil
}

// NotifyPods registers the pod controller's callback for status changes.
func (p *provider) NotifyPods(_ context.Context, cb func(*corev1.Pod)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notify = cb
}

// entry returns a copy of the pod's entry, or nil.
func (p *provider) entry(key string) *podEntry {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.pods[key]
	if !ok {
		return nil
	}
	c := *e
	c.pod = e.pod.DeepCopy()
	return &c
}

// report records st as the pod's status and hands it to the pod controller, unless the pod was
// replaced meanwhile.
func (p *provider) report(key string, uid types.UID, st *corev1.PodStatus) {
	p.mu.Lock()
	e, ok := p.pods[key]
	if !ok || e.pod.UID != uid {
		p.mu.Unlock()
		return
	}
	e.pod.Status = *st.DeepCopy()
	pod, notify := e.pod.DeepCopy(), p.notify
	p.mu.Unlock()
	if notify != nil {
		notify(pod)
	}
}

// forget drops a deleted pod once its processes are gone and marks its state directory so that a
// restarted podrunner does not restore it.
func (p *provider) forget(key string, uid types.UID, dir string) {
	p.mu.Lock()
	if e, ok := p.pods[key]; ok && e.pod.UID == uid {
		delete(p.pods, key)
	}
	p.mu.Unlock()
	markDeleted(dir)
}

func markDeleted(dir string) {
	if err := os.WriteFile(filepath.Join(dir, "deleted"), nil, 0o644); err != nil {
		klog.ErrorS(err, "marking pod state deleted; a restarted podrunner will restore it and the pod controller delete it again", "dir", dir)
	}
}

// keyOfDir returns the key of the pod whose state directory is dir.
func (p *provider) keyOfDir(dir string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, e := range p.pods {
		if e.dir == dir {
			return k, true
		}
	}
	return "", false
}

// Run works the queue until ctx ends. Processes are left running on purpose when it does: a
// restarted podrunner adopts them.
func (p *provider) Run(ctx context.Context, workers int) {
	p.mu.Lock()
	for k := range p.pods {
		p.queue.Add(k)
	}
	p.mu.Unlock()
	for range workers {
		go wait.UntilWithContext(ctx, p.worker, time.Second)
	}
	<-ctx.Done()
	p.queue.ShutDown()
}

func (p *provider) worker(ctx context.Context) {
	for {
		key, quit := p.queue.Get()
		if quit {
			return
		}
		requeue, err := p.sync(ctx, key)
		switch {
		case err != nil:
			klog.ErrorS(err, "syncing pod; retrying", "pod", key)
			p.queue.AddRateLimited(key)
		case requeue > 0:
			p.queue.Forget(key)
			p.queue.AddAfter(key, requeue)
		default:
			p.queue.Forget(key)
		}
		p.queue.Done(key)
	}
}

// isOwnImage says whether image names the project's own image: its repository's last path
// element, without tag or digest, equals p.image ("ghcr.io/x/tenantshift:1.0" -> "tenantshift").
func (p *provider) isOwnImage(image string) bool {
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
	return repo == p.image
}
