package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// sync brings one pod a step closer to its spec and reports what is so. It decides from the pod
// and the files under its state directory only, so it can be called any number of times.
func (p *provider) sync(ctx context.Context, key string) (time.Duration, error) {
	e := p.entry(key)
	switch {
	case e == nil:
		return 0, nil
	case e.deleting:
		return p.terminate(ctx, key, e)
	case !e.confirmed:
		return 0, nil // restored; waits for the pod controller to hand it over again
	}
	pod := e.pod
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return 0, nil
	}
	startTime, err := podStartTime(e.dir, pod)
	if err != nil {
		return 0, err
	}

	st := pod.Status.DeepCopy()
	setPodIPs(st)
	st.StartTime = &startTime
	requeue, err := p.advance(ctx, pod, e.dir, startTime, st)
	if err != nil {
		return 0, err
	}
	setPodConditions(st)
	if !apiequality.Semantic.DeepEqual(&pod.Status, st) {
		p.report(key, pod.UID, st)
	}
	return requeue, nil
}

func setPodIPs(st *corev1.PodStatus) {
	st.HostIP, st.PodIP = "127.0.0.1", "127.0.0.1"
	st.HostIPs = []corev1.HostIP{{IP: "127.0.0.1"}}
	st.PodIPs = []corev1.PodIP{{IP: "127.0.0.1"}}
}

// terminate stops a deleted pod's processes (SIGTERM, SIGKILL once the grace period is over) and,
// once none is left, reports the pod's final status, every container terminated, removes the pod
// from the API and forgets it. Removing it is the kubelet's rule (a deleted pod goes as soon as its
// containers stopped); virtual-kubelet's pod controller would remove it only at the end of the
// grace period, 30 s by default, however soon the processes ended.
func (p *provider) terminate(ctx context.Context, key string, e *podEntry) (time.Duration, error) {
	sig := syscall.SIGTERM
	if !time.Now().Before(e.deadline) {
		sig = syscall.SIGKILL
	} else if e.termSent {
		sig = 0 // signalled already: only count who is left
	}
	if alive := p.killAll(e.dir, sig); alive > 0 {
		if sig == syscall.SIGTERM {
			p.setTermSent(key, e.pod.UID)
		}
		return min(max(time.Until(e.deadline), 0)+100*time.Millisecond, 500*time.Millisecond), nil
	}
	if e.confirmed {
		st, err := p.finalStatus(e.pod, e.dir)
		if err != nil {
			return 0, err
		}
		p.report(key, e.pod.UID, st)
		err = p.client.CoreV1().Pods(e.pod.Namespace).Delete(ctx, e.pod.Name, metav1.DeleteOptions{
			GracePeriodSeconds: ptr.To[int64](0),
			Preconditions:      &metav1.Preconditions{UID: ptr.To(e.pod.UID)},
		})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return 0, fmt.Errorf("removing the stopped pod from the API: %w", err)
		}
	}
	p.forget(key, e.pod.UID, e.dir)
	klog.InfoS("pod stopped", "pod", key, "uid", e.pod.UID)
	return 0, nil
}

func (p *provider) setTermSent(key string, uid types.UID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if cur, ok := p.pods[key]; ok && cur.pod.UID == uid {
		cur.termSent = true
	}
}

// finalStatus is the status of a pod whose processes are all gone: every container terminated,
// with the exit code of its last attempt, or lost (137) if it never ran. Like the kubelet's, the
// phase is Succeeded only if every container exited 0.
func (p *provider) finalStatus(pod *corev1.Pod, dir string) (*corev1.PodStatus, error) {
	st := pod.Status.DeepCopy()
	setPodIPs(st)
	if st.StartTime == nil {
		st.StartTime = ptr.To(metav1.NewTime(time.Now().Truncate(time.Second)))
	}
	final := func(kind string, c corev1.Container) (corev1.ContainerStatus, error) {
		cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "podrunner://" + c.Image, Started: ptr.To(false)}
		if !p.isOwnImage(c.Image) {
			cs.ContainerID = "podrunner://pretend-" + c.Name
			cs.State.Terminated = &corev1.ContainerStateTerminated{Reason: "Completed",
				StartedAt: *st.StartTime, FinishedAt: metav1.Now(), ContainerID: cs.ContainerID}
			return cs, nil
		}
		last, err := p.lastAttempt(dir, kind, c.Name)
		if err != nil {
			return cs, err
		}
		if last == nil || !last.exited {
			cs.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 137,
				Reason: "ContainerStatusUnknown", Message: lostMessage, FinishedAt: metav1.Now()}
			return cs, nil
		}
		cs.RestartCount = int32(last.attempt)
		cs.ContainerID = last.containerID()
		cs.State.Terminated = last.terminated(c)
		return cs, nil
	}
	st.InitContainerStatuses, st.ContainerStatuses = nil, nil
	for _, c := range pod.Spec.InitContainers {
		cs, err := final("init", c)
		if err != nil {
			return nil, err
		}
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
	}
	st.Phase = corev1.PodSucceeded
	for _, c := range pod.Spec.Containers {
		cs, err := final("main", c)
		if err != nil {
			return nil, err
		}
		if cs.State.Terminated.ExitCode != 0 {
			st.Phase = corev1.PodFailed
		}
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
	}
	setPodConditions(st)
	return st, nil
}

// advance starts what must start and fills in container statuses and the phase.
func (p *provider) advance(ctx context.Context, pod *corev1.Pod, dir string, startTime metav1.Time, st *corev1.PodStatus) (time.Duration, error) {
	var requeue time.Duration
	soonest := func(d time.Duration) {
		if d > 0 && (requeue == 0 || d < requeue) {
			requeue = d
		}
	}
	needsRun := false
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		needsRun = needsRun || p.isOwnImage(c.Image)
	}
	var volErr error
	if needsRun {
		volErr = p.materialiseVolumes(ctx, pod, dir)
	}
	st.Phase = corev1.PodPending

	// Init containers, one after another.
	initDone := true
	st.InitContainerStatuses = nil
	for _, c := range pod.Spec.InitContainers {
		if !initDone {
			st.InitContainerStatuses = append(st.InitContainerStatuses, waiting(c, "PodInitializing", ""))
			continue
		}
		if !p.isOwnImage(c.Image) {
			st.InitContainerStatuses = append(st.InitContainerStatuses, completed(c, startTime))
			continue
		}
		cs, done, d, err := p.container(ctx, pod, dir, "init", c, volErr, true)
		if err != nil {
			return 0, err
		}
		soonest(d)
		st.InitContainerStatuses = append(st.InitContainerStatuses, cs)
		if !done {
			initDone = false
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 && pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
				st.Phase = corev1.PodFailed
				st.ContainerStatuses = nil
				for _, c := range pod.Spec.Containers {
					st.ContainerStatuses = append(st.ContainerStatuses, waiting(c, "PodInitializing", ""))
				}
				return 0, nil
			}
		}
	}

	st.ContainerStatuses = nil
	allTerminated, allSucceeded, anyRunning := true, true, false
	for _, c := range pod.Spec.Containers {
		if !initDone {
			st.ContainerStatuses = append(st.ContainerStatuses, waiting(c, "PodInitializing", ""))
			allTerminated = false
			continue
		}
		if !p.isOwnImage(c.Image) {
			st.ContainerStatuses = append(st.ContainerStatuses, pretendRunning(c, startTime))
			allTerminated, anyRunning = false, true
			continue
		}
		cs, done, d, err := p.container(ctx, pod, dir, "main", c, volErr, false)
		if err != nil {
			return 0, err
		}
		soonest(d)
		st.ContainerStatuses = append(st.ContainerStatuses, cs)
		switch {
		case cs.State.Running != nil:
			allTerminated, anyRunning = false, true
		case cs.State.Terminated != nil && done:
			allSucceeded = allSucceeded && cs.State.Terminated.ExitCode == 0
		default:
			allTerminated = false
		}
	}
	switch {
	case !initDone:
		st.Phase = corev1.PodPending
	case allTerminated && allSucceeded:
		st.Phase = corev1.PodSucceeded
	case allTerminated:
		st.Phase = corev1.PodFailed
	case anyRunning || len(pod.Spec.Containers) > 0:
		st.Phase = corev1.PodRunning
	}
	return requeue, nil
}

// container reports one of the project's containers, starting its next attempt when due. done is
// true once the container has finished for good (no restart will follow).
func (p *provider) container(ctx context.Context, pod *corev1.Pod, dir, kind string, c corev1.Container,
	volErr error, isInit bool) (cs corev1.ContainerStatus, done bool, requeue time.Duration, err error) {
	base := corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "podrunner://" + c.Image}
	last, err := p.lastAttempt(dir, kind, c.Name)
	if err != nil {
		return base, false, 0, err
	}
	if last == nil && startedBefore(pod, c.Name, isInit) {
		// The API says this container ran, but this state directory has no record of it: it ran
		// under a state directory that is gone. Never run it again; report it lost, like the
		// kubelet does for a container it can no longer find.
		if err := recordLost(dir, kind, c.Name, 0); err != nil {
			return base, false, 0, err
		}
		if last, err = p.lastAttempt(dir, kind, c.Name); err != nil {
			return base, false, 0, err
		}
	}
	policy := pod.Spec.RestartPolicy
	if last != nil && last.exited {
		restart := policy == corev1.RestartPolicyAlways && !isInit ||
			policy != corev1.RestartPolicyNever && last.exitCode != 0
		base.RestartCount = int32(last.attempt)
		base.LastTerminationState = corev1.ContainerState{}
		term := last.terminated(c)
		if !restart {
			base.State.Terminated = term
			base.Ready = false
			base.Started = ptr.To(false)
			base.ContainerID = term.ContainerID
			return base, true, 0, nil
		}
		backoff := min(time.Second<<min(last.attempt, 5), 30*time.Second)
		if wait := time.Until(last.finished.Add(backoff)); wait > 0 {
			base.LastTerminationState.Terminated = term
			base.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s", backoff, c.Name, pod.Name)}
			return base, false, wait, nil
		}
		base.LastTerminationState.Terminated = term
		last = nil
		if err := p.start(ctx, pod, dir, kind, c, base.RestartCount+1, volErr); err != nil {
			return base, false, 0, err
		}
		if last, err = p.lastAttempt(dir, kind, c.Name); err != nil {
			return base, false, 0, err
		}
	}
	if last == nil {
		if volErr != nil {
			base.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: volErr.Error()}
			return base, false, 2 * time.Second, nil
		}
		if err := p.start(ctx, pod, dir, kind, c, 0, nil); err != nil {
			base.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: err.Error()}
			return base, false, 2 * time.Second, nil
		}
		if last, err = p.lastAttempt(dir, kind, c.Name); err != nil {
			return base, false, 0, err
		}
	}
	base.RestartCount = int32(last.attempt)
	if last.exited { // exited between start and now: report on the next pass
		return base, false, 10 * time.Millisecond, nil
	}
	base.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(last.started)}
	base.Ready = !isInit
	base.Started = ptr.To(true)
	base.ContainerID = last.containerID()
	return base, false, 0, nil
}

// startedBefore says whether the pod's status records the container as having started.
func startedBefore(pod *corev1.Pod, name string, isInit bool) bool {
	list := pod.Status.ContainerStatuses
	if isInit {
		list = pod.Status.InitContainerStatuses
	}
	for _, cs := range list {
		if cs.Name == name && (cs.State.Running != nil || cs.State.Terminated != nil || cs.RestartCount > 0) {
			return true
		}
	}
	return false
}

func waiting(c corev1.Container, reason, msg string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "podrunner://" + c.Image,
		State:   corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}},
		Started: ptr.To(false)}
}

func completed(c corev1.Container, at metav1.Time) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "podrunner://" + c.Image,
		ContainerID: "podrunner://pretend-" + c.Name,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: "Completed", StartedAt: at, FinishedAt: at, ContainerID: "podrunner://pretend-" + c.Name}},
		Started: ptr.To(false)}
}

func pretendRunning(c corev1.Container, at metav1.Time) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: c.Name, Image: c.Image, ImageID: "podrunner://" + c.Image,
		ContainerID: "podrunner://pretend-" + c.Name,
		State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: at}},
		Ready:       true, Started: ptr.To(true)}
}

// podStartTime is when this podrunner first saw the pod, kept in its state directory.
func podStartTime(dir string, pod *corev1.Pod) (metav1.Time, error) {
	if pod.Status.StartTime != nil {
		return *pod.Status.StartTime, nil
	}
	f := filepath.Join(dir, "start-time")
	if b, err := os.ReadFile(f); err == nil {
		if t, err := time.Parse(time.RFC3339, string(b)); err == nil {
			return metav1.NewTime(t), nil
		}
	}
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	return now, os.WriteFile(f, []byte(now.UTC().Format(time.RFC3339)), 0o644)
}

func setPodConditions(st *corev1.PodStatus) {
	allReady, initialized := len(st.ContainerStatuses) > 0, true
	for _, cs := range st.ContainerStatuses {
		allReady = allReady && cs.Ready
	}
	for _, cs := range st.InitContainerStatuses {
		initialized = initialized && cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0
	}
	terminal := st.Phase == corev1.PodSucceeded || st.Phase == corev1.PodFailed
	b := func(v bool) corev1.ConditionStatus {
		if v {
			return corev1.ConditionTrue
		}
		return corev1.ConditionFalse
	}
	set := func(t corev1.PodConditionType, s corev1.ConditionStatus, reason string) {
		now := metav1.NewTime(time.Now().Truncate(time.Second))
		for i := range st.Conditions {
			if st.Conditions[i].Type == t {
				if st.Conditions[i].Status != s {
					st.Conditions[i].Status, st.Conditions[i].LastTransitionTime = s, now
				}
				st.Conditions[i].Reason = reason
				return
			}
		}
		st.Conditions = append(st.Conditions, corev1.PodCondition{Type: t, Status: s, Reason: reason, LastTransitionTime: now})
	}
	reason := ""
	if terminal {
		reason = "PodCompleted"
	}
	set(corev1.PodReadyToStartContainers, b(!terminal), "")
	set(corev1.PodInitialized, b(initialized || terminal), reason)
	set(corev1.ContainersReady, b(allReady && !terminal), reason)
	set(corev1.PodReady, b(allReady && !terminal), reason)
}
