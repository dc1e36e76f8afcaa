package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
)

var everything = labels.Everything()

// materialiseVolumes writes the pod's ConfigMap, Secret, projected and downward API volumes as
// files under <pod dir>/volumes/<name>, once per pod.
func (r *runner) materialiseVolumes(ctx context.Context, pod *corev1.Pod, dir string) error {
	final := filepath.Join(dir, "volumes")
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	tmp := final + ".tmp"
	_ = os.RemoveAll(tmp)
	for _, v := range pod.Spec.Volumes {
		vd := filepath.Join(tmp, v.Name)
		if err := os.MkdirAll(vd, 0o755); err != nil {
			return err
		}
		var err error
		switch {
		case v.ConfigMap != nil:
			err = r.writeConfigMap(ctx, pod.Namespace, vd, *v.ConfigMap, v.ConfigMap.DefaultMode)
		case v.Secret != nil:
			err = r.writeSecret(ctx, pod.Namespace, vd, v.Secret.SecretName, v.Secret.Items, v.Secret.Optional, v.Secret.DefaultMode)
		case v.Projected != nil:
			for _, s := range v.Projected.Sources {
				switch {
				case s.ConfigMap != nil:
					err = r.writeConfigMap(ctx, pod.Namespace, vd, corev1.ConfigMapVolumeSource{
						LocalObjectReference: s.ConfigMap.LocalObjectReference, Items: s.ConfigMap.Items,
						Optional: s.ConfigMap.Optional}, v.Projected.DefaultMode)
				case s.Secret != nil:
					err = r.writeSecret(ctx, pod.Namespace, vd, s.Secret.Name, s.Secret.Items, s.Secret.Optional, v.Projected.DefaultMode)
				case s.DownwardAPI != nil:
					err = writeDownward(pod, vd, s.DownwardAPI.Items, v.Projected.DefaultMode)
				case s.ServiceAccountToken != nil:
					err = r.writeToken(ctx, pod, vd, *s.ServiceAccountToken, v.Projected.DefaultMode)
				default:
					err = fmt.Errorf("volume %s: projected source not supported by podrunner", v.Name)
				}
				if err != nil {
					break
				}
			}
		case v.DownwardAPI != nil:
			err = writeDownward(pod, vd, v.DownwardAPI.Items, v.DownwardAPI.DefaultMode)
		case v.EmptyDir != nil, v.HostPath != nil:
		default:
			err = fmt.Errorf("volume %s: only configMap, secret, projected, downwardAPI, emptyDir and hostPath volumes are supported by podrunner", v.Name)
		}
		if err != nil {
			return err
		}
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

func (r *runner) volumeSource(pod *corev1.Pod, dir, name string) (string, error) {
	for _, v := range pod.Spec.Volumes {
		if v.Name == name {
			if v.HostPath != nil {
				return v.HostPath.Path, nil
			}
			return filepath.Join(dir, "volumes", name), nil
		}
	}
	return "", fmt.Errorf("volume mount %q names no volume of the pod", name)
}

func writeFile(dir, rel string, data []byte, mode *int32, defMode *int32) error {
	m := int32(0o644)
	if defMode != nil {
		m = *defMode
	}
	if mode != nil {
		m = *mode
	}
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, data, os.FileMode(m)); err != nil {
		return err
	}
	return os.Chmod(p, os.FileMode(m))
}

func writeItems(dir, kind, name string, data map[string][]byte, items []corev1.KeyToPath, defMode *int32, optional bool) error {
	if len(items) == 0 {
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := writeFile(dir, k, data[k], nil, defMode); err != nil {
				return err
			}
		}
		return nil
	}
	for _, it := range items {
		d, ok := data[it.Key]
		if !ok {
			if optional {
				continue
			}
			return fmt.Errorf("%s %q has no key %q", kind, name, it.Key)
		}
		if err := writeFile(dir, it.Path, d, it.Mode, defMode); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) writeConfigMap(ctx context.Context, ns, dir string, s corev1.ConfigMapVolumeSource, defMode *int32) error {
	cm, err := r.client.CoreV1().ConfigMaps(ns).Get(ctx, s.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && ptr.Deref(s.Optional, false) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("configmap %q: %w", s.Name, err)
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return writeItems(dir, "configmap", s.Name, data, s.Items, defMode, ptr.Deref(s.Optional, false))
}

func (r *runner) writeSecret(ctx context.Context, ns, dir, name string, items []corev1.KeyToPath, optional *bool, defMode *int32) error {
	sec, err := r.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && ptr.Deref(optional, false) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("secret %q: %w", name, err)
	}
	return writeItems(dir, "secret", name, sec.Data, items, defMode, ptr.Deref(optional, false))
}

func writeDownward(pod *corev1.Pod, dir string, items []corev1.DownwardAPIVolumeFile, defMode *int32) error {
	for _, it := range items {
		var v string
		switch {
		case it.FieldRef != nil:
			var err error
			if v, err = fieldValue(pod, it.FieldRef.FieldPath); err != nil {
				return err
			}
		case it.ResourceFieldRef != nil:
			v = resourceValue(pod, it.ResourceFieldRef)
		}
		if err := writeFile(dir, it.Path, []byte(v), it.Mode, defMode); err != nil {
			return err
		}
	}
	return nil
}

// writeToken asks the TokenRequest API for a token bound to the pod, as the kubelet does for the
// kube-api-access volume (it is not refreshed: tests are shorter than its lifetime).
func (r *runner) writeToken(ctx context.Context, pod *corev1.Pod, dir string, s corev1.ServiceAccountTokenProjection, defMode *int32) error {
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: s.ExpirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if s.Audience != "" {
		tr.Spec.Audiences = []string{s.Audience}
	}
	got, err := r.client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, tr, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("token for service account %q: %w", sa, err)
	}
	return writeFile(dir, s.Path, []byte(got.Status.Token), nil, defMode)
}

// fieldValue resolves a downward API field path.
func fieldValue(pod *corev1.Pod, path string) (string, error) {
	sub := func(prefix string, m map[string]string) (string, bool) {
		if strings.HasPrefix(path, prefix+"['") && strings.HasSuffix(path, "']") {
			return m[path[len(prefix)+2:len(path)-2]], true
		}
		return "", false
	}
	if v, ok := sub("metadata.labels", pod.Labels); ok {
		return v, nil
	}
	if v, ok := sub("metadata.annotations", pod.Annotations); ok {
		return v, nil
	}
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels", "metadata.annotations":
		m := pod.Labels
		if path == "metadata.annotations" {
			m = pod.Annotations
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%s\n", k, strconv.Quote(m[k]))
		}
		return b.String(), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.podIP", "status.hostIPs", "status.podIPs":
		return "127.0.0.1", nil
	}
	return "", fmt.Errorf("field path %q not supported by podrunner", path)
}

// resourceValue resolves a resourceFieldRef; an unset limit is the node's allocatable amount.
func resourceValue(pod *corev1.Pod, ref *corev1.ResourceFieldSelector) string {
	kind, res, _ := strings.Cut(ref.Resource, ".")
	for _, c := range append(append([]corev1.Container{}, pod.Spec.InitContainers...), pod.Spec.Containers...) {
		if ref.ContainerName != "" && c.Name != ref.ContainerName {
			continue
		}
		list := c.Resources.Limits
		if kind == "requests" {
			list = c.Resources.Requests
		}
		q, ok := list[corev1.ResourceName(res)]
		if !ok {
			q = nodeResources()[corev1.ResourceName(res)]
		}
		div := ref.Divisor
		if div.IsZero() {
			div = resource.MustParse("1")
		}
		v := (q.MilliValue() + div.MilliValue() - 1) / div.MilliValue()
		return strconv.FormatInt(v, 10)
	}
	return "0"
}

// containerEnv is the container's environment as the kubelet would give it: service variables
// for the API server, then envFrom, then env, with $(VAR) references expanded.
func (r *runner) containerEnv(ctx context.Context, pod *corev1.Pod, c corev1.Container) ([]string, error) {
	var order []string
	vals := map[string]string{}
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	set("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	set("HOME", "/root")
	set("HOSTNAME", pod.Name)
	set("KUBERNETES_SERVICE_HOST", r.apiHost)
	set("KUBERNETES_SERVICE_PORT", r.apiPort)
	set("KUBERNETES_SERVICE_PORT_HTTPS", r.apiPort)
	set("KUBERNETES_PORT", "tcp://"+r.apiHost+":"+r.apiPort)

	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			cm, err := r.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ef.ConfigMapRef.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) && ptr.Deref(ef.ConfigMapRef.Optional, false) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("envFrom configmap %q: %w", ef.ConfigMapRef.Name, err)
			}
			for k, v := range cm.Data {
				set(ef.Prefix+k, v)
			}
		case ef.SecretRef != nil:
			s, err := r.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ef.SecretRef.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) && ptr.Deref(ef.SecretRef.Optional, false) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("envFrom secret %q: %w", ef.SecretRef.Name, err)
			}
			for k, v := range s.Data {
				set(ef.Prefix+k, string(v))
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, vals))
			continue
		}
		vf := e.ValueFrom
		switch {
		case vf.FieldRef != nil:
			v, err := fieldValue(pod, vf.FieldRef.FieldPath)
			if err != nil {
				return nil, err
			}
			set(e.Name, v)
		case vf.ResourceFieldRef != nil:
			ref := *vf.ResourceFieldRef
			if ref.ContainerName == "" {
				ref.ContainerName = c.Name
			}
			set(e.Name, resourceValue(pod, &ref))
		case vf.ConfigMapKeyRef != nil:
			ref := vf.ConfigMapKeyRef
			cm, err := r.client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err == nil {
				if v, ok := cm.Data[ref.Key]; ok {
					set(e.Name, v)
					continue
				}
				err = fmt.Errorf("key %q not found", ref.Key)
			}
			if !ptr.Deref(ref.Optional, false) {
				return nil, fmt.Errorf("env %s: configmap %q: %w", e.Name, ref.Name, err)
			}
		case vf.SecretKeyRef != nil:
			ref := vf.SecretKeyRef
			s, err := r.client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
			if err == nil {
				if v, ok := s.Data[ref.Key]; ok {
					set(e.Name, string(v))
					continue
				}
				err = fmt.Errorf("key %q not found", ref.Key)
			}
			if !ptr.Deref(ref.Optional, false) {
				return nil, fmt.Errorf("env %s: secret %q: %w", e.Name, ref.Name, err)
			}
		}
	}
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+vals[k])
	}
	return env, nil
}
